import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { z } from 'zod';
import { isInternalAddress } from './address-guard.ts';
import { BrokenCircuitError } from 'cockatiel';
import { HostBreakers } from './host-breakers.ts';
import type { BotHandler, HandlerContext } from './handler.ts';
import { TaskFailure, TransientError } from './handler.ts';

const HttpContext = z.strictObject({
  url: z.url().max(2048),
  payload: z.unknown().optional(),
});
type HttpContext = z.infer<typeof HttpContext>;

/** Resolves a host name to its addresses (DNS by default; tests pass their own). */
export type Resolver = (host: string) => Promise<string[]>;

export interface HttpHandlerDeps {
  /** Hosts each tenant may call (`"*"`: every tenant). */
  allowedHosts: Record<string, string[]>;
  /** Allow loopback/private targets (and plain http to them): tests only. */
  allowPrivate: boolean;
  /** Per-tenant signing key for the request body. */
  signingKey: (tenant: string) => string;
  resolve?: Resolver;
  breakers?: HostBreakers;
  maxResponseBytes?: number;
}

const defaultResolve: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The signature header value: `sha256=<hex HMAC-SHA-256 of the body>`. */
export function signBody(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/**
 * `http`: POSTs `{task_id, tenant, payload}` to an external bot framework and returns its JSON
 * response. Only https URLs whose host is on the tenant's allowlist, and never to an internal
 * address: the host is resolved first, every address checked, and the connection pinned to a
 * checked address (no second lookup an attacker's DNS could answer differently).
 */
export function httpHandler(deps: HttpHandlerDeps): BotHandler<HttpContext> {
  const resolve = deps.resolve ?? defaultResolve;
  const breakers = deps.breakers ?? new HostBreakers();
  const maxBytes = deps.maxResponseBytes ?? 1_048_576;
  return {
    name: 'http',
    context: HttpContext,
    example: { url: 'https://bots.example.com/run', payload: { text: 'Hello' } },
    async run(c, ctx) {
      const url = new URL(c.url);
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const allowed = [...(deps.allowedHosts[ctx.tenant] ?? []), ...(deps.allowedHosts['*'] ?? [])].map((h) => h.toLowerCase());
      if (!allowed.includes(host)) throw new TaskFailure('URL_NOT_ALLOWED', `host ${host} is not on this app's allowlist`);
      if (url.protocol !== 'https:' && !(deps.allowPrivate && url.protocol === 'http:')) {
        throw new TaskFailure('URL_NOT_ALLOWED', 'only https URLs may be called');
      }
      if (url.username || url.password) throw new TaskFailure('URL_NOT_ALLOWED', 'URLs with credentials are refused');
      const addresses = isIP(host) ? [host] : await resolve(host).catch(() => {
        throw new TransientError(`could not resolve ${host}`);
      });
      if (addresses.length === 0) throw new TransientError(`could not resolve ${host}`);
      if (!deps.allowPrivate && addresses.some(isInternalAddress)) {
        throw new TaskFailure('URL_NOT_ALLOWED', `${host} resolves to an internal address`);
      }
      const body = JSON.stringify({ task_id: ctx.taskId, tenant: ctx.tenant, payload: c.payload ?? null });
      try {
        return await breakers.for(ctx.tenant, url.origin).execute(() => post(url, addresses[0]!, body, deps.signingKey(ctx.tenant), ctx, maxBytes));
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw new TaskFailure('CIRCUIT_OPEN', `${url.host} is failing for this app; calls are paused`);
        throw err;
      }
    },
  };
}

function post(url: URL, address: string, body: string, key: string, ctx: HandlerContext, maxBytes: number): Promise<unknown> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    const family = isIP(address);
    if ((opts as { all?: boolean }).all) (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else cb(null, address, family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        lookup: pinned,
        signal: ctx.signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'mayfly-bot/1',
          'x-mayfly-task-id': ctx.taskId,
          'x-mayfly-signature': signBody(key, body),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            reject(new TaskFailure('BAD_UPSTREAM_RESPONSE', `the response is larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        res.on('end', () => {
          if (status === 429 || status >= 500) return reject(new TransientError(`the bot answered ${status}`));
          if (status < 200 || status >= 300) return reject(new TaskFailure('UPSTREAM_REJECTED', `the bot answered ${status}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(new TaskFailure('BAD_UPSTREAM_RESPONSE', 'the bot did not answer JSON'));
          }
        });
        res.on('error', (err) => reject(new TransientError(err.message)));
      },
    );
    req.on('error', (err) => reject(ctx.signal.aborted ? err : new TransientError(`could not reach the bot: ${err.message}`)));
    req.end(body);
  });
}
