import { z } from 'zod';
import { eventEnvelope } from './envelope.ts';
import { tenantToken } from './tenant.ts';

const Timestamp = z.iso.datetime().meta({ description: 'ISO-8601 UTC time.' });

/** An APNs device token: hex, 64 characters today (32 bytes); Apple may lengthen it. */
export const ApnsToken = z
  .string()
  .regex(/^[0-9a-fA-F]{64,200}$/, 'must be 64-200 hexadecimal characters')
  .meta({ description: 'The APNs device token in hex, as the app received it.', example: 'a'.repeat(64) });

/** Which APNs gateway a token belongs to: development builds get sandbox tokens. */
export const ApnsEnvironment = z.enum(['sandbox', 'production']).meta({ description: 'The APNs environment the token came from.' });
export type ApnsEnvironment = z.infer<typeof ApnsEnvironment>;

/** A bundle id (reverse DNS), also the APNs topic (`com.example.app`, `com.example.app.voip`). */
export const BundleId = z
  .string()
  .max(155)
  .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a reverse-DNS bundle id such as com.example.app')
  .meta({ example: 'com.example.app' });

export const RegistrationId = z.uuid().meta({ description: 'Opaque registration id (UUID); never the token.' });

export const IosRegisterTokenInput = z.strictObject({
  token: ApnsToken,
  environment: ApnsEnvironment,
  bundle_id: BundleId.optional().meta({
    description: 'The app to push to (the APNs topic): one of the bundle ids the app was registered with (403 otherwise); default: its first, or the server’s APNS_TOPIC for an app the registry does not know.',
  }),
});
export type IosRegisterTokenInput = z.infer<typeof IosRegisterTokenInput>;

export const IosRegistration = z
  .object({ registration_id: RegistrationId, expires_at: Timestamp })
  .meta({ id: 'IosRegistration', description: 'Use registration_id to push; it and the token are forgotten at expires_at.' });
export type IosRegistration = z.infer<typeof IosRegistration>;

const Alert = z.union([
  z.string().max(2_048),
  z.strictObject({
    title: z.string().max(256).optional(),
    subtitle: z.string().max(256).optional(),
    body: z.string().max(2_048).optional(),
  }),
]);

export const IosNotifyInput = z.strictObject({
  registration_id: RegistrationId,
  alert: Alert.optional().meta({ description: 'Text to show, or {title, subtitle, body}.' }),
  badge: z.number().int().min(0).max(99_999).optional().meta({ description: 'The app icon badge (0 clears it).' }),
  sound: z.string().min(1).max(64).optional().meta({ description: 'A sound file in the app bundle, or "default".' }),
  data: z
    .record(z.string().min(1).max(64), z.unknown())
    .refine((d) => !Object.hasOwn(d, 'aps'), 'must not contain "aps": use alert, badge and sound')
    .optional()
    .meta({ description: 'Custom keys for the app, beside `aps`. Only data (no alert, badge, sound): a background push.' }),
});
export type IosNotifyInput = z.infer<typeof IosNotifyInput>;

export const IosNotifyResult = z
  .object({
    sent: z.boolean().meta({ description: 'APNs accepted the push.' }),
    apns_id: z.string().optional().meta({ description: 'The apns-id APNs gave the push.' }),
    reason: z.string().optional().meta({ description: 'Why APNs refused it, in APNs words (e.g. DeviceTokenNotForTopic), when sent is false.' }),
  })
  .meta({ id: 'IosNotifyResult' });
export type IosNotifyResult = z.infer<typeof IosNotifyResult>;

export const IosValidateReceiptInput = z.strictObject({
  signed_transaction: z
    .string()
    .min(1)
    .max(65_536)
    .meta({ description: 'A StoreKit 2 signed transaction (JWS compact serialization), e.g. Transaction.jwsRepresentation.' }),
});

/** Why a signed transaction was refused. */
export const ReceiptRefusal = z
  .enum([
    'malformed',
    'unsupported_algorithm',
    'environment_not_accepted',
    'invalid_chain_length',
    'invalid_certificate',
    'verification_failure',
    'invalid_app_identifier',
    'invalid_environment',
    'revoked',
    'expired',
  ])
  .meta({ id: 'ReceiptRefusal' });
export type ReceiptRefusal = z.infer<typeof ReceiptRefusal>;

export const IosReceiptValidation = z
  .object({
    valid: z.boolean().meta({ description: 'Signed by Apple for this app and environment, not revoked, not expired.' }),
    product_id: z.string().optional(),
    transaction_id: z.string().optional(),
    expires_at: Timestamp.optional().meta({ description: 'When a subscription period ends (absent for other products).' }),
    environment: z.string().optional().meta({ description: 'Production or Sandbox (as Apple signed it).' }),
    reason: ReceiptRefusal.optional().meta({ description: 'Why it is not valid, when valid is false.' }),
  })
  .meta({ id: 'IosReceiptValidation' });
export type IosReceiptValidation = z.infer<typeof IosReceiptValidation>;

export const DeviceTokenRegisteredEvent = eventEnvelope(
  'device_token.registered',
  1,
  z.object({
    registration_id: z.uuid(),
    token: ApnsToken,
    environment: ApnsEnvironment,
    bundle_id: BundleId.optional(),
    expires_at: z.iso.datetime(),
  }),
);
/** APNs called the token dead (Unregistered, BadDeviceToken): the registration ends at once. */
export const DeviceTokenDiscardedEvent = eventEnvelope(
  'device_token.discarded',
  1,
  z.object({ registration_id: z.uuid(), reason: z.string().max(64), expires_at: z.iso.datetime() }),
);
export type DeviceTokenRegisteredEvent = z.infer<typeof DeviceTokenRegisteredEvent>;
export type DeviceTokenDiscardedEvent = z.infer<typeof DeviceTokenDiscardedEvent>;
export type DeviceEvent = DeviceTokenRegisteredEvent | DeviceTokenDiscardedEvent;

/** Subject of a registration's events: `ios.<tenant token>.<registration id>`. */
export const deviceSubject = (appId: string, registrationId: string) => `ios.${tenantToken(appId)}.${registrationId}`;
/** Every registration of one tenant. */
export const tenantDevicesFilter = (appId: string) => `ios.${tenantToken(appId)}.*`;
