import type { SendResult } from './transport.ts';

// Network-level failures worth another try (the request may not have reached SendGrid).
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/**
 * Classifies a failed send from what the error says about the HTTP exchange, and only that:
 * the error objects of the SendGrid client carry the request (recipient included), so
 * nothing else of them may travel on, into a log line or an exception.
 */
export function classifySendError(err: unknown): Extract<SendResult, { ok: false }> {
  const e = (err ?? {}) as { code?: unknown; response?: { status?: unknown } };
  // @sendgrid/client's ResponseError puts the HTTP status in `code`; axios errors carry `response.status`.
  const status = typeof e.code === 'number' ? e.code : typeof e.response?.status === 'number' ? e.response.status : undefined;
  if (status !== undefined) {
    const retryable = status === 429 || status >= 500;
    return { ok: false, retryable, status, reason: `SendGrid answered ${status}` };
  }
  const code = typeof e.code === 'string' && /^[A-Z_]{2,40}$/.test(e.code) ? e.code : undefined;
  if (code && TRANSIENT_CODES.has(code)) return { ok: false, retryable: true, reason: `network error ${code}` };
  // Thrown before any request (the client library refused the mail): trying again will not help.
  return { ok: false, retryable: false, reason: code ? `send failed (${code})` : 'the mail could not be built or sent' };
}
