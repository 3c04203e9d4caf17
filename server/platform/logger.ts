import pino from 'pino';

export type Logger = pino.Logger;

/**
 * JSON logger. Secrets and personal data never reach a log line: authorization headers, keys
 * and tokens are censored by path, and e-mail addresses are scrubbed from messages by
 * {@link redactEmails} where free text could carry them.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mayfly' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          'headers.cookie',
          'key',
          '*.key',
          'token',
          '*.token',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    // Asynchronous to stdout: lines written while a write is in flight go out together in the
    // next one (one syscall per access-log line was a measurable share of a write's CPU). pino
    // flushes what is pending when the process exits.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Replaces every e-mail address in free text with `[email]`. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL, '[email]');
}
