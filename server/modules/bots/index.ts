import { botTaskFilter } from '@mayfly/contracts';
import type { Module } from '../module.ts';
import { botOutputsProjection } from './projection/apply.ts';
import { closeOutcomeWaiters } from './outcomes.ts';
import { botsRouter } from './router.ts';
import { botWorker } from './worker.ts';

/** Bots: tasks run by a worker, outputs kept for their TTL in BOTS and `bot_tasks`. */
export const bots = {
  name: 'bots',
  router: botsRouter,
  projections: [botOutputsProjection],
  expiring: [{ table: 'bot_tasks', stream: 'BOTS', subject: botTaskFilter }],
  migrations: { module: 'bots', dir: new URL('./migrations/', import.meta.url) },
  workers: (services, log) => [botWorker(services, services.botHandlers, log)],
  close: closeOutcomeWaiters,
} satisfies Module;
