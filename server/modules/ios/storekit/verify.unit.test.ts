import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { VerificationStatus } from '@apple/app-store-server-library';
import { ReceiptVerifier, refusalOf } from './verify.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const settings = { rootCertFiles: [], appAppleId: 1, environments: [] };
const own = ['com.example.app'];
// An Xcode-signed transaction: signed by a local Xcode certificate, not by Apple.
const xcode = `${b64({ alg: 'ES256', x5c: [] })}.${b64({ bundleId: 'com.example.app', productId: 'pro', transactionId: '1', environment: 'Xcode' })}.c2ln`;

describe('StoreKit verification', () => {
  it('refuses an environment it was not configured for before looking at any signature', async () => {
    const v = new ReceiptVerifier([], { ...settings, environments: ['Production'] }, () => new Date());
    expect(await v.verify(xcode, own)).toEqual({ valid: false, reason: 'environment_not_accepted' });
  });

  it('accepts anything claiming Xcode once Xcode is enabled: why that needs APPLE_ALLOW_XCODE_ENVIRONMENT outside production', async () => {
    const v = new ReceiptVerifier([], { ...settings, environments: ['Xcode'] }, () => new Date());
    expect(await v.verify(xcode, own)).toEqual({ valid: true, product_id: 'pro', transaction_id: '1', environment: 'Xcode' });
  });

  it('verifies only the bundle ids it is given: another app’s transaction is invalid_app_identifier before any signature', async () => {
    const v = new ReceiptVerifier([], { ...settings, environments: ['Xcode'] }, () => new Date());
    expect(await v.verify(xcode, ['com.example.other'])).toEqual({ valid: false, reason: 'invalid_app_identifier' });
    expect(await v.verify(xcode, [])).toEqual({ valid: false, reason: 'invalid_app_identifier' });
  });

  it('maps every library status to a wire reason', () => {
    expect(refusalOf(VerificationStatus.INVALID_APP_IDENTIFIER)).toBe('invalid_app_identifier');
    expect(refusalOf(VerificationStatus.INVALID_CERTIFICATE)).toBe('invalid_certificate');
    expect(refusalOf(VerificationStatus.FAILURE)).toBe('malformed');
    expect(refusalOf(VerificationStatus.RETRYABLE_VERIFICATION_FAILURE)).toBe('verification_failure');
  });
});
