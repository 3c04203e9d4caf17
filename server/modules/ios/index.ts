import { deviceSubject } from '@mayfly/contracts';
import { defineModule } from '../module.ts';
import { closeClients } from './clients.ts';
import { deviceRegistrationsProjection } from './projection/index.ts';
import { iosRouter } from './router.ts';

export { sendPush, checkPushTarget, retireRegistration, discard as discardRegistration, type PushPayload } from './push.ts';

/**
 * iOS: APNs device tokens that live only in DEVICES and `device_registrations` for their TTL,
 * pushes over one long-lived HTTP/2 session per gateway, StoreKit 2 verification offline.
 */
export const ios = defineModule({
  name: 'ios',
  router: iosRouter,
  projections: [deviceRegistrationsProjection],
  expiring: [{ table: 'device_registrations', stream: 'DEVICES', subject: deviceSubject }],
  expiringRecords: ['receipt_counts'],
  migrations: { module: 'ios', dir: new URL('./migrations/', import.meta.url) },
  close: closeClients,
});
