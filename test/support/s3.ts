import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** Credentials s3rver knows (it ships this one account). */
export const S3RVER_KEY = 'S3RVER';

/** An S3-protocol server on loopback with one bucket, and the settings that reach it. */
export interface TestS3 extends AsyncDisposable {
  /** The endpoint Mayfly signs for: a proxy that checks presigned signatures, then forwards to s3rver. */
  endpoint: string;
  bucket: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * s3rver with a signature-checking proxy in front. s3rver stores and serves objects but does
 * not verify SigV4 at all (its source says so), so on its own it can not show that a PUT of
 * another length or type is refused. The proxy recomputes the signature of every presigned
 * (query-string SigV4) request from what actually arrives, as S3 does, and answers 403 when it
 * differs or the URL has expired. SDK calls (Authorization header) pass through unchecked.
 */
export async function startTestS3(bucket = 'mayfly-test'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'mayfly-s3-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const upstream = await s3rver.run();
  const proxy = createServer((req, res) => void forward(req, res, upstream.port));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const stop = async () => {
    await closeServer(proxy);
    await s3rver.close().catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  };
  return {
    endpoint,
    bucket,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3RVER_KEY,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function forward(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://proxy');
  if (url.searchParams.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    const refusal = checkPresigned(req, url, S3RVER_KEY);
    if (refusal) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal}</Code></Error>`);
      return;
    }
  }
  const out = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 query-string verification (AWS "Authenticating Requests: Using Query Parameters"); the refusal code, or null. */
function checkPresigned(req: IncomingMessage, url: URL, secret: string): string | null {
  const q = url.searchParams;
  const amzDate = q.get('X-Amz-Date') ?? '';
  const expires = Number(q.get('X-Amz-Expires'));
  const signed = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  const [, ...scopeParts] = (q.get('X-Amz-Credential') ?? '').split('/');
  const issued = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(issued) || Date.now() > issued + expires * 1000) return 'AccessDenied';
  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, signed.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = scopeParts.join('/');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const [day, region, service] = scopeParts;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day ?? ''), region ?? ''), service ?? ''), 'aws4_request');
  return hmac(key, toSign).toString('hex') === q.get('X-Amz-Signature') ? null : 'SignatureDoesNotMatch';
}
