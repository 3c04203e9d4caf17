import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { EventPublisher } from './events/publisher.ts';
import type { ReadConsistency } from './events/consistency.ts';
import type { Logger } from './logger.ts';

/** What procedures may use: passed in once at start (clock included), never imported. */
export interface Services {
  config: Config;
  db: Database;
  events: EventPublisher;
  consistency: ReadConsistency;
  now: () => Date;
}

/** The tRPC context of one request. `tenant` is set by the edge on `/trpc` and `/api/v1`. */
export interface Context {
  services: Services;
  requestId: string;
  tenant: string | null;
  log: Logger;
}
