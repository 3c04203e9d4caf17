import { deviceSubject, type IosNotifyResult } from '@mayfly/contracts';
import type { Services } from '../../trpc/context.ts';
import { MayflyError, notFound, unavailable } from '../../platform/errors.ts';
import { newEvent } from '../../platform/events/publisher.ts';
import { createLogger, type Logger } from '../../platform/logger.ts';
import type { ApnsAnswer } from './apns/client.ts';
import { buildPush, GATEWAYS, type PushPayload } from './apns/payload.ts';
import { apnsClients } from './clients.ts';
import { deviceRegistrationsProjection } from './projection/index.ts';
import { findRegistration } from './projection/queries.ts';
import { appleIdentity, pushTopic } from './identity.ts';
import { apnsSettings } from './settings.ts';

export type { PushPayload } from './apns/payload.ts';

/**
 * A registration APNs called dead: REST 410 GONE (tRPC: NOT_FOUND with error_code GONE). It
 * answers so from the push that found out until the tombstone leaves with its purged
 * subject (the next reconciler runs), then 404; both mean "register the device again".
 */
export const gone = () => new MayflyError('GONE', 'the device token is no longer valid; register the device again');

/** APNs answers that mean the token will never work again. */
const isDeadToken = (a: ApnsAnswer) => a.status === 410 || (a.status === 400 && a.reason === 'BadDeviceToken');

/** The discard event's id, derived from the registration: concurrent discards store one event. */
const discardId = (registrationId: string) => `${registrationId.slice(0, 14)}8${registrationId.slice(15)}`;

/**
 * Sends one push to a registration of `tenant` through APNs (HTTP/2, token auth) and answers
 * as `ios.notify` does. Other modules call this (bots push a task's outcome). Throws
 * MayflyError: 404 unknown or another app's registration, 410 dead token (the registration is
 * discarded at once), 503 APNs not configured or unreachable, 429 APNs throttling the device.
 */
export async function sendPush(
  s: Services,
  tenant: string,
  registrationId: string,
  payload: PushPayload,
  opts: { log?: Logger } = {},
): Promise<IosNotifyResult> {
  const settings = apnsSettings(s.config);
  const log = opts.log ?? silent;
  // Read-your-writes: a registration made a moment ago, on any instance, is found.
  await s.consistency.settle(deviceRegistrationsProjection.name, 'DEVICES', deviceSubject(tenant, registrationId));
  const reg = await findRegistration(s.db, tenant, registrationId, s.now());
  if (!reg) throw notFound('registration');
  if (reg.state === 'discarded') throw gone();
  // One Mayfly serves many apps: the registration's own bundle id is the most specific topic.
  const topic = pushTopic(appleIdentity(s, tenant), tenant, reg.bundleId, settings.topic);
  const push = buildPush(payload, { topic, expiresAt: reg.expiresAt });
  const { sessions, tokens } = await apnsClients(s, settings, log);
  const origin = settings.host ?? GATEWAYS[reg.environment];
  const path = `/3/device/${reg.token}`;

  const post = async () => {
    const jwt = await tokens.get();
    try {
      return { jwt, answer: await sessions.post(origin, path, { ...push.headers, authorization: `bearer ${jwt}` }, push.body) };
    } catch (err) {
      log.warn({ registration_id: registrationId, err: String(err) }, 'APNs unreachable');
      throw unavailable('APNs is not reachable; try again', undefined, 5);
    }
  };
  let { jwt, answer } = await post();
  if (answer.status === 403 && answer.reason === 'ExpiredProviderToken') {
    // APNs' clock says our token is over an hour old: sign a fresh one and try once more.
    tokens.invalidate(jwt);
    ({ jwt, answer } = await post());
  }
  log.debug({ registration_id: registrationId, status: answer.status, reason: answer.reason, apns_id: answer.apnsId }, 'APNs answered');
  if (answer.status === 200) return { sent: true, ...(answer.apnsId ? { apns_id: answer.apnsId } : {}) };
  if (isDeadToken(answer)) {
    await discard(s, tenant, registrationId, reg.expiresAt, answer.reason ?? String(answer.status));
    log.info({ registration_id: registrationId, reason: answer.reason }, 'APNs called the device token dead; registration discarded');
    throw gone();
  }
  if (answer.status === 403) {
    log.error({ status: 403, reason: answer.reason }, 'APNs refused the provider token: check APNS_KEY_ID, APNS_TEAM_ID, APNS_KEY_FILE');
    throw new MayflyError('SERVICE_UNAVAILABLE', 'APNs refused this server’s credentials; the operator must fix its APNs settings');
  }
  if (answer.status === 429) {
    throw new MayflyError('TOO_MANY_REQUESTS', 'APNs is throttling pushes to this device; try again later', { retryAfter: 60 });
  }
  if (answer.status >= 500 || answer.status === 0) throw unavailable('APNs is not available; try again', undefined, 5);
  // Refused for a reason of this push or app (DeviceTokenNotForTopic, TopicDisallowed, ...).
  return { sent: false, ...(answer.apnsId ? { apns_id: answer.apnsId } : {}), ...(answer.reason ? { reason: answer.reason } : {}) };
}

/**
 * Checks, before work that will end in a push, that it can be sent: APNs must be configured
 * (503 naming what is missing) and the registration a live one of this app (404).
 */
export async function checkPushTarget(s: Services, tenant: string, registrationId: string): Promise<void> {
  apnsSettings(s.config);
  await s.consistency.settle(deviceRegistrationsProjection.name, 'DEVICES', deviceSubject(tenant, registrationId));
  const reg = await findRegistration(s.db, tenant, registrationId, s.now());
  if (!reg || reg.state === 'discarded') throw notFound('registration');
  pushTopic(appleIdentity(s, tenant), tenant, reg.bundleId, s.config.APNS_TOPIC);
}

/** Discards a registration that served its one purpose (a task's outcome push), if it is still live. */
export async function retireRegistration(s: Services, tenant: string, registrationId: string, reason: string): Promise<void> {
  const reg = await findRegistration(s.db, tenant, registrationId, s.now());
  if (reg && reg.state !== 'discarded') await discard(s, tenant, registrationId, reg.expiresAt, reason);
}

/** Ends a registration at once: the projection drops the token and queues its subject's purge. */
export async function discard(s: Services, tenant: string, registrationId: string, expiresAt: Date, reason: string): Promise<void> {
  const now = s.now();
  const event = newEvent(
    'device_token.discarded',
    tenant,
    { registration_id: registrationId, reason: reason.slice(0, 64), expires_at: expiresAt.toISOString() },
    now,
    discardId(registrationId),
  );
  // The next notify settles on this subject, so it sees the tombstone, never the dead token.
  await s.events.publish(event, deviceSubject(tenant, registrationId));
}

const silent = createLogger('silent');
