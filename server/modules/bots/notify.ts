import { deviceSubject } from '@mayfly/contracts';
import type { Services } from '../../trpc/context.ts';
import { notFound } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { discardRegistration, sendPush } from '../ios/index.ts';
import { deviceRegistrationsProjection } from '../ios/projection/apply.ts';
import { findRegistration } from '../ios/projection/queries.ts';
import { apnsSettings } from '../ios/settings.ts';

/** At execute: APNs must be configured (503 naming what is missing) and the registration this app's (404). */
export async function checkNotifyTarget(s: Services, tenant: string, registrationId: string): Promise<void> {
  apnsSettings(s.config);
  await s.consistency.settle(deviceRegistrationsProjection.name, 'DEVICES', deviceSubject(tenant, registrationId));
  const reg = await findRegistration(s.db, tenant, registrationId, s.now());
  if (!reg || reg.state === 'discarded') throw notFound('registration');
}

/**
 * A task's outcome as one push to the device that asked for it; the registration is then
 * discarded (it was for this one notification). A failed push is logged, never fails the task.
 */
export async function pushOutcome(
  s: Services,
  tenant: string,
  registrationId: string,
  outcome: { task_id: string; status: 'completed' | 'failed' },
  log: Logger,
): Promise<void> {
  try {
    await sendPush(s, tenant, registrationId, {
      alert: outcome.status === 'completed' ? 'Your task is done' : 'Your task failed',
      data: { task_id: outcome.task_id, status: outcome.status },
    });
  } catch (err) {
    log.warn({ task_id: outcome.task_id, registration_id: registrationId, err: err instanceof Error ? err.message : 'failed' }, 'outcome push not sent');
  }
  const reg = await findRegistration(s.db, tenant, registrationId, s.now()).catch(() => null);
  if (reg && reg.state !== 'discarded') {
    await discardRegistration(s, tenant, registrationId, reg.expiresAt, 'notified');
  }
}
