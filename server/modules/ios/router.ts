import {
  IosNotifyInput,
  IosNotifyResult,
  IosReceiptValidation,
  IosRegisterTokenInput,
  IosRegistration,
  IosValidateReceiptInput,
  deviceSubject,
} from '@mayfly/contracts';
import { newEvent } from '../../platform/events/publisher.ts';
import { newId } from '../../platform/events/ids.ts';
import { router, tenantProcedure } from '../../trpc/trpc.ts';
import { receiptVerifier } from './clients.ts';
import { appleIdentity, receiptBundleIds, registrationTopic } from './identity.ts';
import { sendPush } from './push.ts';
import { storeKitSettings } from './settings.ts';
import { countReceipt } from './storekit/counts.ts';

const tags = ['ios'];

/** The iOS router: ephemeral APNs registrations, pushes, StoreKit 2 verification. */
export const iosRouter = router({
  registerToken: tenantProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/ios/register-token',
        tags,
        summary: 'Register an APNs device token for APNS_TOKEN_TTL_SECONDS; answers an opaque registration id',
        protect: false,
      },
      successStatus: 201,
    })
    .input(IosRegisterTokenInput)
    .output(IosRegistration)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const bundleId = registrationTopic(appleIdentity(s, ctx.tenant), ctx.tenant, input.bundle_id);
      const now = s.now();
      // Never derived from the token: nothing on the wire or in a URL leads back to it (random,
      // or derived from the Idempotency-Key so that a retry registers nothing new).
      const registrationId = newId();
      const expiresAt = new Date(now.getTime() + s.config.APNS_TOKEN_TTL_SECONDS * 1000).toISOString();
      const registered = await s.events.publishOnce(
        newEvent(
          'device_token.registered',
          ctx.tenant,
          {
            registration_id: registrationId,
            token: input.token.toLowerCase(),
            environment: input.environment,
            ...(bundleId === undefined ? {} : { bundle_id: bundleId }),
            expires_at: expiresAt,
          },
          now,
        ),
        deviceSubject(ctx.tenant, registrationId),
        { expectLastSubjectSequence: 0 },
      );
      return { registration_id: registered.data.registration_id, expires_at: registered.data.expires_at };
    }),

  notify: tenantProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/ios/notify',
        tags,
        summary: 'Push to a registered device through APNs',
        description:
          'Alert, badge or sound: an alert push (priority 10); data alone: a background push (priority 5). ' +
          '410 GONE: APNs called the token dead and the registration was discarded; register the device again ' +
          '(once the discarded registration has been purged, 404). 503: APNs is not configured or not reachable.',
        protect: false,
        errorResponses: {
          400: 'Invalid input, or a payload over 4096 bytes',
          404: 'No such registration (expired, or another app’s)',
          410: 'The device token is no longer valid (APNs: Unregistered or BadDeviceToken); register the device again',
          429: 'APNs is throttling pushes to this device',
          503: 'APNs is not configured or not reachable',
          500: 'Internal error; the request id identifies it in the logs',
        },
      },
    })
    .input(IosNotifyInput)
    .output(IosNotifyResult)
    .mutation(async ({ ctx, input }) => {
      const { registration_id: registrationId, ...payload } = input;
      return sendPush(ctx.services, ctx.tenant, registrationId, payload, { log: ctx.log });
    }),

  validateReceipt: tenantProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/ios/validate-receipt',
        tags,
        summary: 'Verify a StoreKit 2 signed transaction offline against the configured Apple roots',
        description: 'A transaction that fails verification is answered 200 with valid false and a reason; only aggregate counts are kept.',
        protect: false,
      },
    })
    .input(IosValidateReceiptInput)
    .output(IosReceiptValidation)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const identity = appleIdentity(s, ctx.tenant);
      const settings = storeKitSettings(s.config, identity);
      const bundleIds = receiptBundleIds(identity, ctx.tenant, s.config.APPLE_BUNDLE_ID);
      const verifier = await receiptVerifier(s, settings, ctx.log);
      const result = await verifier.verify(input.signed_transaction, bundleIds);
      try {
        await countReceipt(s.db, ctx.tenant, result, s.now());
      } catch (err) {
        // The verdict matters more to the caller than the tally.
        ctx.log.warn({ err }, 'could not count a receipt verification');
      }
      return result;
    }),
});
