/**
 * A consumer's delivery sequence as one subscriber sees it. The broker numbers every delivery
 * of a consumer, a redelivery too, one after the other; so a number skipped or repeated means a
 * delivery never reached this subscriber: lost in flight when the consumer's leader died, or
 * taken by another puller on the same consumer. The projector's checkpoint (the highest
 * sequence applied) must then not pass the lost message: it starts over from the checkpoint.
 * Redelivery after the ack wait would come too late, behind a checkpoint that already covers it.
 */
export class DeliverySequence {
  #next = 1;

  /** Takes the next delivery's number; false when it is not the one that had to come next. */
  accept(deliverySeq: number): boolean {
    if (deliverySeq !== this.#next) return false;
    this.#next++;
    return true;
  }

  /** The number the next delivery must carry. */
  get expected(): number {
    return this.#next;
  }
}
