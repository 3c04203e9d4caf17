import { defineModule } from '../module.ts';
import { mailerWorker } from './mailer.ts';
import { emailRouter } from './router.ts';

export { queueEmail as enqueueEmail } from './queue.ts';

/** E-mail: `send` queues into OUTBOX (a work queue); the mailer sends through SendGrid or the console. No tables. */
export const email = defineModule({
  name: 'email',
  router: emailRouter,
  projections: [],
  expiring: [],
  workers: (s) => [mailerWorker({ config: s.config, metrics: s.metrics, log: s.log, now: s.now, tenantLabel: (t) => s.tenants.metricsLabel(t) })],
});
