import type { StreamName } from '@mayfly/contracts';
import type { Queryable } from '../../server/platform/db/database.ts';
import type { Delivery, EventDelivery } from '../../server/platform/events/decode.ts';

export type { Delivery, EventDelivery, ExpiryDelivery } from '../../server/platform/events/decode.ts';

/**
 * A read model fed by one stream. `apply` receives, inside the transaction that also moves
 * the projection's checkpoint, a batch in stream order of what the projection has not seen
 * yet: events, and (NATS 2.11+) markers saying a subject's messages expired.
 *
 * Most projections are rows keyed by (tenant, id): declare those with `rowProjection`
 * (./row-projection.ts). Aggregates that add up (conversion counts) write `apply` by hand.
 */
export interface Projection {
  name: string;
  stream: StreamName;
  /**
   * The table `apply` writes (unqualified, resolved through the search path). Set, it lets a
   * replay rebuild the projection into a shadow table of that name in a schema of its own.
   */
  table?: string;
  apply(tx: Queryable, batch: readonly Delivery[], now: Date): Promise<void>;
}

/** The events of a batch (markers left out), for projections that only add events up. */
export const eventsOf = (batch: readonly Delivery[]): EventDelivery[] => batch.filter((d): d is EventDelivery => 'event' in d);
