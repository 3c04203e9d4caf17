import type { MiddlewareHandler } from 'hono';
import { bodyLimit as streamedBodyLimit } from 'hono/body-limit';
import { MayflyError } from '../../platform/errors.ts';

/**
 * Refuses a request body over `maxBytes` with 413. Decided from `Content-Length` where the
 * headers tell: Hono's own body limit asks for the request's body stream, which makes the
 * Node adapter build a whole fetch Request for every call. A body without a declared length
 * (chunked, or HTTP/2) is counted as it streams.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => new MayflyError('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`);
  const streamed = streamedBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxBytes) throw tooLarge();
      return next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    return streamed(c, next);
  };
}
