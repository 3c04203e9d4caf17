import { Buffer } from 'node:buffer';
import {
  Environment,
  SignedDataVerifier,
  VerificationException,
  VerificationStatus,
  type JWSTransactionDecodedPayload,
} from '@apple/app-store-server-library';
import type { IosReceiptValidation, ReceiptRefusal } from '@mayfly/contracts';
import type { StoreKitSettings } from '../settings.ts';

type AppleEnvironment = StoreKitSettings['environments'][number];

const ENVIRONMENTS: Record<AppleEnvironment, Environment> = {
  Production: Environment.PRODUCTION,
  Sandbox: Environment.SANDBOX,
  Xcode: Environment.XCODE,
  LocalTesting: Environment.LOCAL_TESTING,
};

/** The library's verdict as a refusal reason on the wire. */
export function refusalOf(status: VerificationStatus): ReceiptRefusal {
  switch (status) {
    case VerificationStatus.INVALID_APP_IDENTIFIER:
      return 'invalid_app_identifier';
    case VerificationStatus.INVALID_ENVIRONMENT:
      return 'invalid_environment';
    case VerificationStatus.INVALID_CHAIN_LENGTH:
      return 'invalid_chain_length';
    case VerificationStatus.INVALID_CERTIFICATE:
      return 'invalid_certificate';
    case VerificationStatus.FAILURE:
      return 'malformed'; // the payload failed the library's shape check
    case VerificationStatus.OK:
    case VerificationStatus.VERIFICATION_FAILURE:
    case VerificationStatus.RETRYABLE_VERIFICATION_FAILURE:
      return 'verification_failure';
    default: {
      const _never: never = status;
      return _never;
    }
  }
}

/** A refusal; `claims` only when Apple's signature over them was verified. */
const refuse = (reason: ReceiptRefusal, claims: Omit<IosReceiptValidation, 'valid' | 'reason'> = {}): IosReceiptValidation => ({
  valid: false,
  ...claims,
  reason,
});

function isoOf(ms: number | undefined): string | undefined {
  const d = ms === undefined ? undefined : new Date(ms);
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies StoreKit 2 signed transactions offline with Apple's `SignedDataVerifier`: the x5c
 * chain up to a configured root (Apple's marker OIDs on intermediate and leaf, validity at the
 * transaction's signing date), the ES256 signature, the bundle id and the environment. No
 * OCSP (`enableOnlineChecks` false): nothing leaves the process. One library verifier per
 * accepted environment and bundle id, picked by the transaction's own claims (which that
 * verifier then checks signed) and only for the bundle ids the caller may verify.
 */
export class ReceiptVerifier {
  readonly #verifiers = new Map<string, SignedDataVerifier>();
  readonly #environments: ReadonlySet<string>;

  /** `roots`: the trusted root certificates (DER). Throws if one is not a certificate. */
  constructor(
    private readonly roots: Buffer[],
    private readonly settings: StoreKitSettings,
    private readonly now: () => Date,
  ) {
    this.#environments = new Set(settings.environments);
    // Built once here so that a root that is not a certificate fails at once, not per receipt.
    for (const env of settings.environments) this.#verifier(env, 'com.example.probe');
  }

  #verifier(env: AppleEnvironment, bundleId: string): SignedDataVerifier {
    const key = `${env} ${bundleId}`;
    let v = this.#verifiers.get(key);
    if (!v) {
      v = new SignedDataVerifier(this.roots, false, ENVIRONMENTS[env], bundleId, this.settings.appAppleId);
      this.#verifiers.set(key, v);
    }
    return v;
  }

  /** The verdict on one signed transaction of one of `bundleIds`; never throws for bad input. */
  async verify(jws: string, bundleIds: readonly string[]): Promise<IosReceiptValidation> {
    const [h, p, sig, ...rest] = jws.split('.');
    const header = decodeSegment(h);
    const claims = decodeSegment(p);
    if (!header || !claims || sig === undefined || rest.length > 0) return refuse('malformed');
    // Apple signs with ES256 only; `none` and HMAC tricks end here, before any key is chosen.
    if (header.alg !== 'ES256') return refuse('unsupported_algorithm');
    const env = claims.environment;
    if (typeof env !== 'string' || !this.#environments.has(env)) return refuse('environment_not_accepted');
    // Another app's transaction, however well signed, is not this app's to verify.
    if (typeof claims.bundleId !== 'string' || !bundleIds.includes(claims.bundleId)) return refuse('invalid_app_identifier');
    const verifier = this.#verifier(env as AppleEnvironment, claims.bundleId);
    let t: JWSTransactionDecodedPayload;
    try {
      t = await verifier.verifyAndDecodeTransaction(jws);
    } catch (err) {
      return refuse(err instanceof VerificationException ? refusalOf(err.status) : 'verification_failure');
    }
    const verified = {
      ...(t.productId === undefined ? {} : { product_id: t.productId }),
      ...(t.transactionId === undefined ? {} : { transaction_id: t.transactionId }),
      ...(isoOf(t.expiresDate) === undefined ? {} : { expires_at: isoOf(t.expiresDate) }),
      ...(t.environment === undefined ? {} : { environment: String(t.environment) }),
    };
    if (t.revocationDate !== undefined) return refuse('revoked', verified);
    if (t.expiresDate !== undefined && t.expiresDate <= this.now().getTime()) return refuse('expired', verified);
    return { valid: true, ...verified };
  }
}
