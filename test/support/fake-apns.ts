import { randomUUID } from 'node:crypto';
import { createSecureServer, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** One push as the fake gateway received it. */
export interface ReceivedPush {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What the gateway answers for one push: status and APNs reason. */
export type Answer = { status: number; reason?: string };

/**
 * A local stand-in for the APNs provider API: HTTP/2 over TLS, `POST /3/device/<token>`,
 * answering 200 with an `apns-id`, or what `answer` says for a token (410 Unregistered, ...).
 */
export async function startFakeApns(tls: { key: string; cert: string }) {
  const received: ReceivedPush[] = [];
  const sessions = new Set<ServerHttp2Session>();
  let sessionsOpened = 0;
  const answers = new Map<string, Answer[]>();
  const server = createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: false });
  server.on('session', (s) => {
    sessionsOpened += 1;
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => {
      const path = String(headers[':path']);
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      received.push({ path, method: String(headers[':method']), headers, body });
      const token = path.split('/').pop() ?? '';
      const queued = answers.get(token);
      const answer = (queued && queued.length > 1 ? queued.shift() : queued?.[0]) ?? { status: 200 };
      const apnsId = randomUUID().toUpperCase();
      stream.respond({ ':status': answer.status, 'apns-id': apnsId, ...(answer.reason ? { 'content-type': 'application/json' } : {}) });
      stream.end(answer.reason ? JSON.stringify({ reason: answer.reason }) : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    received,
    /** Sessions open now, and opened since start. */
    sessions: () => ({ open: sessions.size, opened: sessionsOpened }),
    /** Answers for pushes to `token`, in order; the last one repeats. */
    answer(token: string, ...a: Answer[]) {
      answers.set(token, a);
    },
    async stop() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type FakeApns = Awaited<ReturnType<typeof startFakeApns>>;
