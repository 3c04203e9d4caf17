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
  /**
   * Set, a replay loads the table in bulk: into a copy with no keys or indexes yet, where rows
   * are appended rather than upserted (maintaining a primary key on random ids row by row is
   * most of what a rebuild costs), keys built once at the end.
   */
  bulk?: BulkLoad;
}

/**
 * A bulk load into `table` with no keys: `begin` once, `append` each batch in stream order (in
 * the transaction that records the load's progress, with the side effects `apply` has), then
 * `settle`, after which the table holds exactly what `apply` would have made of the same
 * batches and can take its keys. Every call runs with the copy's schema leading the search path.
 */
export interface BulkLoad {
  /** Creates what the load keeps beside the table until it settles. */
  begin(tx: Queryable): Promise<void>;
  append(tx: Queryable, batch: readonly Delivery[], now: Date): Promise<void>;
  /**
   * Deletes the rows of items that went since they were appended (a load that stops half way
   * keeps no copy of a deleted item; the reconciler does the same for one that died).
   */
  prune(tx: Queryable): Promise<number>;
  /** Leaves each item's latest row, none for an item that went after it, and drops what `begin` made. */
  settle(tx: Queryable): Promise<void>;
}

/** The events of a batch (markers left out), for projections that only add events up. */
export const eventsOf = (batch: readonly Delivery[]): EventDelivery[] => batch.filter((d): d is EventDelivery => 'event' in d);
