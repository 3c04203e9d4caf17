import { describe, expect, it } from 'vitest';
import { classifySendError } from './send-error.ts';

describe('send error classification', () => {
  it('retries 429 and 5xx, gives up on other statuses', () => {
    expect(classifySendError({ code: 429 })).toEqual({ ok: false, retryable: true, status: 429, reason: 'SendGrid answered 429' });
    expect(classifySendError({ code: 503 })).toMatchObject({ retryable: true, status: 503 });
    expect(classifySendError({ response: { status: 500 } })).toMatchObject({ retryable: true, status: 500 });
    expect(classifySendError({ code: 400 })).toMatchObject({ retryable: false, status: 400 });
    expect(classifySendError({ code: 401 })).toMatchObject({ retryable: false, status: 401 });
  });

  it('retries network failures and refuses what never left the process', () => {
    expect(classifySendError({ code: 'ECONNREFUSED' })).toEqual({ ok: false, retryable: true, reason: 'network error ECONNREFUSED' });
    expect(classifySendError(new Error('Provide at least one of to, cc or bcc'))).toMatchObject({ retryable: false });
    expect(classifySendError(undefined)).toMatchObject({ retryable: false });
  });

  it('never carries anything of the error but its status or code', () => {
    const err = Object.assign(new Error('refused ada@example.com'), {
      code: 400,
      response: { body: { errors: [{ message: 'ada@example.com is invalid' }] } },
      config: { data: '{"personalizations":[{"to":[{"email":"ada@example.com"}]}]}' },
    });
    expect(JSON.stringify(classifySendError(err))).not.toContain('ada@');
    expect(JSON.stringify(classifySendError({ code: 'ada@example.com' }))).not.toContain('ada@');
  });
});
