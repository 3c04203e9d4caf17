import { connect, constants, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { rootCertificates } from 'node:tls';

/** What APNs answered to one push. */
export interface ApnsAnswer {
  status: number;
  apnsId: string | undefined;
  /** APNs' reason on a refusal (`Unregistered`, `BadDeviceToken`, ...). */
  reason: string | undefined;
}

/** Why a push did not reach an answer; never carries the device token (it is in the path). */
export class ApnsTransportError extends Error {
  override name = 'ApnsTransportError';
}

// `session.request` throws these when the session is already going away: the push was never
// sent, so it is retried once on a new session.
const STALE_SESSION = new Set(['ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION']);

/**
 * HTTP/2 sessions to the APNs gateways: one long-lived session per origin, reused by every
 * push (APNs asks providers to keep connections open rather than reconnect per push, and
 * multiplexes many pushes over one), replaced when the server sends GOAWAY or the socket
 * closes, and closed on shutdown. Written on `node:http2` rather than a push library
 * (`@parse/node-apn`, `apn`): those bring their own token signing, retry and connection pool
 * policies to configure around, while this is ~100 lines whose every choice is visible here.
 */
export class ApnsSessions {
  readonly #sessions = new Map<string, ClientHttp2Session>();
  readonly #ca: string[] | undefined;
  #closed = false;

  /** `extraCa`: a PEM CA trusted in addition to the system roots (tests, TLS-inspecting proxies). */
  constructor(
    extraCa: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {
    this.#ca = extraCa === undefined ? undefined : [...rootCertificates, extraCa];
  }

  /** POSTs one push to `path` on `origin`, on the shared session. */
  async post(origin: string, path: string, headers: OutgoingHttpHeaders, body: string): Promise<ApnsAnswer> {
    try {
      return await this.#post(origin, path, headers, body);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && STALE_SESSION.has(code) && !this.#closed) return this.#post(origin, path, headers, body);
      throw err;
    }
  }

  /** Closes every session, letting pushes in flight finish (bounded). */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(
      open.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.closed || s.destroyed) return resolve();
            const timer = setTimeout(() => s.destroy(), 2_000);
            s.close(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }

  #session(origin: string): ClientHttp2Session {
    if (this.#closed) throw new ApnsTransportError('APNs sessions are closed (shutting down)');
    const open = this.#sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const session = connect(origin, this.#ca ? { ca: this.#ca } : {});
    const forget = () => {
      if (this.#sessions.get(origin) === session) this.#sessions.delete(origin);
    };
    // An 'error' without a listener would crash the process; the failing push sees it too.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    // Idle sessions must not keep a stopping process alive; close() ends them on shutdown.
    session.unref();
    this.#sessions.set(origin, session);
    return session;
  }

  #post(origin: string, path: string, headers: OutgoingHttpHeaders, body: string): Promise<ApnsAnswer> {
    const session = this.#session(origin);
    return new Promise<ApnsAnswer>((resolve, reject) => {
      const req = session.request({ ...headers, ':method': 'POST', ':path': path, 'content-type': 'application/json' });
      let status = 0;
      let apnsId: string | undefined;
      let text = '';
      req.setEncoding('utf8');
      req.setTimeout(this.timeoutMs, () => {
        req.close(constants.NGHTTP2_CANCEL);
        reject(new ApnsTransportError(`APNs did not answer within ${this.timeoutMs} ms`));
      });
      req.on('response', (h) => {
        status = Number(h[':status']);
        const id = h['apns-id'];
        apnsId = typeof id === 'string' ? id : undefined;
      });
      req.on('data', (chunk: string) => {
        if (text.length < 4_096) text += chunk;
      });
      req.on('end', () => resolve({ status, apnsId, reason: reasonOf(text) }));
      req.on('error', (err: Error & { code?: string }) => {
        // Node's messages name the stream, never the path; keep only the code to be sure.
        const e = new ApnsTransportError(`APNs request failed (${err.code ?? err.name})`);
        Object.assign(e, { code: err.code });
        reject(e);
      });
      req.end(body);
    });
  }
}

function reasonOf(text: string): string | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as { reason?: unknown };
    return typeof v.reason === 'string' ? v.reason.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
