import type { Services } from '../../trpc/context.ts';
import type { Logger } from '../../platform/logger.ts';
import { checkPushTarget, retireRegistration, sendPush } from '../ios/index.ts';

/** At execute: APNs must be configured (503 naming what is missing) and the registration this app's (404). */
export const checkNotifyTarget = checkPushTarget;

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
  await retireRegistration(s, tenant, registrationId, 'notified').catch(() => undefined);
}
