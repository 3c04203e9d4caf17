import type { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import type { Services } from '../../trpc/context.ts';
import type { Logger } from '../../platform/logger.ts';
import { instanceState } from '../module.ts';
import { ApnsSessions } from './apns/client.ts';
import { ProviderTokens } from './apns/provider-token.ts';
import { notConfigured, type ApnsSettings, type StoreKitSettings } from './settings.ts';
import type { ReceiptVerifier } from './storekit/verify.ts';

/** What a running Mayfly keeps for iOS: the APNs sessions and provider token, the verifiers. */
interface IosClients {
  apns?: Promise<{ sessions: ApnsSessions; tokens: ProviderTokens }>;
  receipts?: Promise<ReceiptVerifier>;
}

// Per running instance (several run side by side in tests), built on first use from its
// configuration and clock, and dropped with it.
const of = instanceState<IosClients>(() => ({}));

/** Caches a promise, forgetting it when it fails so that a fixed file is read again. */
function cached<T>(get: () => Promise<T> | undefined, set: (p: Promise<T> | undefined) => void, make: () => Promise<T>): Promise<T> {
  const have = get();
  if (have) return have;
  const p = make();
  set(p);
  p.catch(() => set(undefined));
  return p;
}

/** The APNs sessions and provider tokens of this instance. */
export function apnsClients(s: Services, settings: ApnsSettings, log: Logger): Promise<{ sessions: ApnsSessions; tokens: ProviderTokens }> {
  const c = of(s);
  return cached(
    () => c.apns,
    (p) => {
      c.apns = p;
    },
    async () => {
      const ca = settings.caFile === undefined ? undefined : await readSetting(settings.caFile, 'APNS_CA_FILE', log);
      let key: Promise<CryptoKey> | undefined;
      const loadKey = () =>
        (key ??= (async () => {
          const pem = await readSetting(settings.keyFile, 'APNS_KEY_FILE', log);
          // Loaded on first push: most deployments never push.
          const { importPKCS8 } = await import('jose');
          try {
            return await importPKCS8(pem.toString('utf8'), 'ES256');
          } catch {
            log.error({ setting: 'APNS_KEY_FILE', file: settings.keyFile }, 'APNs key is not a PKCS#8 P-256 (.p8) key');
            throw notConfigured('iOS push', ['APNS_KEY_FILE (a readable .p8 key)']);
          }
        })().catch((err: unknown) => {
          key = undefined;
          throw err;
        }));
      return {
        sessions: new ApnsSessions(ca?.toString('utf8')),
        tokens: new ProviderTokens({ key: loadKey, keyId: settings.keyId, teamId: settings.teamId, now: s.now }),
      };
    },
  );
}

/** The StoreKit verifier of this instance, built from the root certificate files. */
export function receiptVerifier(s: Services, settings: StoreKitSettings, log: Logger): Promise<ReceiptVerifier> {
  const c = of(s);
  return cached(
    () => c.receipts,
    (p) => {
      c.receipts = p;
    },
    async () => {
      const roots = await Promise.all(settings.rootCertFiles.map((f) => readSetting(f, 'APPLE_ROOT_CERTS', log)));
      // Apple's library is loaded on first use: most deployments never verify a receipt, and
      // it is a tenth of the service's start-up time.
      const { ReceiptVerifier } = await import('./storekit/verify.ts');
      try {
        return new ReceiptVerifier(roots, settings, s.now);
      } catch (err) {
        log.error({ setting: 'APPLE_ROOT_CERTS', err }, 'Apple root certificates could not be loaded');
        throw notConfigured('StoreKit verification', ['APPLE_ROOT_CERTS (DER certificate files)']);
      }
    },
  );
}

/** Closes this instance's APNs sessions (shutdown). */
export async function closeClients(s: Services): Promise<void> {
  const apns = of.peek(s)?.apns;
  of.drop(s);
  await (await apns?.catch(() => undefined))?.sessions.close();
}

async function readSetting(file: string, setting: string, log: Logger): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    // The path goes to the log, not to the client.
    log.error({ setting, file, code: (err as { code?: string }).code }, 'a configured file can not be read');
    throw notConfigured(setting === 'APPLE_ROOT_CERTS' ? 'StoreKit verification' : 'iOS push', [`${setting} (a readable file)`]);
  }
}
