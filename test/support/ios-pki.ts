// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { Buffer } from 'node:buffer';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CompactSign } from 'jose';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** Apple's marker extensions, checked by SignedDataVerifier. */
export const APPLE_INTERMEDIATE_OID = '1.2.840.113635.100.6.2.1';
export const APPLE_LEAF_OID = '1.2.840.113635.100.6.11.1';

/** A certificate and its key pair. */
export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** DER bytes. */
  der: Buffer;
  pem: string;
  /** The private key as PKCS#8 PEM. */
  keyPem: string;
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<Issued> {
  return {
    cert,
    keys,
    der: Buffer.from(cert.rawData),
    pem: cert.toString('pem'),
    keyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const newKeys = () => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
// A DER NULL: Apple's marker extensions are recognised by their OID alone.
const marker = (oid: string) => new x509.Extension(oid, false, new Uint8Array([0x05, 0x00]));

/** A self-signed EC P-256 root CA. */
export async function makeRoot(name: string, validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<Issued> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}, O=Mayfly Tests`,
    keys,
    signingAlgorithm: EC,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return finish(cert, keys);
}

/** A certificate issued by `issuer`. */
export async function issue(
  issuer: Issued,
  name: string,
  opts: { ca?: boolean; extensions?: x509.Extension[]; notBefore?: Date; notAfter?: Date } = {},
): Promise<Issued> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${name}, O=Mayfly Tests`,
    issuer: issuer.cert.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: EC,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true), ...(opts.extensions ?? [])],
  });
  return finish(cert, keys);
}

/** An App Store-like signing chain: root, intermediate (CA, marker OID), leaf (marker OID). */
export async function makeStoreChain(root: Issued, validity: { notBefore?: Date; notAfter?: Date } = {}) {
  const intermediate = await issue(root, 'Test WWDR Intermediate', { ca: true, extensions: [marker(APPLE_INTERMEDIATE_OID)], ...validity });
  const leaf = await issue(intermediate, 'Test StoreKit Signing', { extensions: [marker(APPLE_LEAF_OID)], ...validity });
  return { root, intermediate, leaf };
}

/** Signs `payload` as the App Store does: ES256 JWS with x5c [leaf, intermediate, root]. */
export async function signTransaction(chain: Awaited<ReturnType<typeof makeStoreChain>>, payload: Record<string, unknown>): Promise<string> {
  const x5c = [chain.leaf, chain.intermediate, chain.root].map((c) => c.der.toString('base64'));
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', x5c })
    .sign(chain.leaf.keys.privateKey);
}

/** A TLS server certificate for 127.0.0.1/localhost issued by `ca`. */
export async function serverCertificate(ca: Issued): Promise<Issued> {
  return issue(ca, 'localhost', {
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
}

/** Replaces a JWS segment (0 header, 1 payload, 2 signature). */
export function withSegment(jws: string, index: number, value: string): string {
  const parts = jws.split('.');
  parts[index] = value;
  return parts.join('.');
}

/** base64url of a JSON value. */
export const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
