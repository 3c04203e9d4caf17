import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake SendGrid received it. */
export interface SendGridCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: SendGridMailBody;
}

/** The v3 mail-send body, as SendGrid's API reference names its fields. */
export interface SendGridMailBody {
  personalizations: { to: { email: string; name?: string }[]; dynamic_template_data?: Record<string, unknown> }[];
  from: { email: string; name?: string };
  subject?: string;
  content?: { type: string; value: string }[];
  template_id?: string;
}

/** A loopback server speaking SendGrid's `POST /v3/mail/send`, answering 202 unless told otherwise. */
export interface FakeSendGrid extends AsyncDisposable {
  url: string;
  calls: SendGridCall[];
  /** Statuses to answer next, in order (then 202 again). */
  answerNext(...statuses: number[]): void;
  /** Answer every request with this status from now on (undefined: back to 202). */
  answerAlways(status: number | undefined): void;
  stop(): Promise<void>;
}

/** Starts a fake SendGrid on a free loopback port. */
export async function startFakeSendGrid(): Promise<FakeSendGrid> {
  const calls: SendGridCall[] = [];
  const queue: number[] = [];
  let always: number | undefined;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'not found' }] }));
        return;
      }
      calls.push({ method: req.method, path: req.url, authorization: req.headers.authorization, body: JSON.parse(raw) as SendGridMailBody });
      const status = queue.shift() ?? always ?? 202;
      if (status === 202) {
        res.writeHead(202, { 'x-message-id': `fake-${calls.length}` });
        res.end();
        return;
      }
      // SendGrid's error bodies can echo the request's fields: the mailer must not pass them on.
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
      res.end(JSON.stringify({ errors: [{ message: `refused ${JSON.stringify(JSON.parse(raw))}`, field: 'personalizations.0.to' }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    answerNext: (...statuses) => void queue.push(...statuses),
    answerAlways: (status) => void (always = status),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
