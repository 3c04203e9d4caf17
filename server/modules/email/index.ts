import type { Module } from '../module.ts';
import { mailerWorker } from './mailer.ts';
import { emailRouter } from './router.ts';

/** E-mail: `send` queues into OUTBOX (a work queue); the mailer sends through SendGrid or the console. */
export const email = {
  name: 'email',
  router: emailRouter,
  projections: [],
  expiring: [],
  migrations: { module: 'email', dir: new URL('./migrations/', import.meta.url) },
  workers: (services, log) => [mailerWorker({ config: services.config, metrics: services.metrics, log, now: services.now })],
} satisfies Module;
