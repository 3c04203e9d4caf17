import type { AnyEvent, StreamName } from '@mayfly/contracts';
import type { Queryable } from '../../server/platform/db/database.ts';

/** An event as a projector sees it: decoded, validated, with its place in the stream. */
export interface ProjectedEvent {
  seq: number;
  subject: string;
  event: AnyEvent;
}

/**
 * A read model fed by one stream. `apply` receives an ordered batch of events the projection
 * has not seen yet, inside the transaction that also moves its checkpoint.
 */
export interface Projection {
  name: string;
  stream: StreamName;
  /**
   * The table `apply` writes (unqualified, resolved through the search path). Set, it lets a
   * replay rebuild the projection into a shadow table of that name in a schema of its own.
   */
  table?: string;
  apply(tx: Queryable, events: ProjectedEvent[], now: Date): Promise<void>;
  /** The broker says `subject` expired (a 2.11+ delete marker): remove what came from it. */
  forget?(tx: Queryable, subjects: string[]): Promise<void>;
}
