import { botTaskFilter } from '@mayfly/contracts';
import { defineModule } from '../module.ts';
import { botHandlers, hostBreakers } from './handlers/registry.ts';
import { botOutputsProjection } from './projection/index.ts';
import { closeOutcomeWaiters } from './outcomes.ts';
import { botsRouter } from './router.ts';
import { botWorker } from './worker.ts';

export { botHandlers, hostBreakers };
export type { BotHandler } from './handlers/handler.ts';

/** Bots: tasks run by a worker, outputs kept for their TTL in BOTS and `bot_tasks`. */
export const bots = defineModule({
  name: 'bots',
  router: botsRouter,
  projections: [botOutputsProjection],
  expiring: [{ table: 'bot_tasks', stream: 'BOTS', subject: botTaskFilter }],
  migrations: { module: 'bots', dir: new URL('./migrations/', import.meta.url) },
  workers: (s) => [botWorker(s, botHandlers(s), s.log)],
  /** The app's circuits of the `http` bot on this instance (its rows and messages go with every module's). */
  async purgeTenant(s, appId) {
    hostBreakers.peek(s)?.forget(appId);
  },
  close: closeOutcomeWaiters,
});
