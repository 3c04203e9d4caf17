import { describe, expect, it } from 'vitest';
import { EmailSendInput } from './email.ts';
import { ObjectKey, objectKey, parseObjectKey } from './storage.ts';

const id = '0b6e4a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('object keys', () => {
  it('put the tenant in as its token, so no app id can leave the t/<app>/ prefix', () => {
    expect(objectKey('com.example.app', id)).toBe(`t/com~example~app/${id}`);
    expect(objectKey('..', id)).toBe(`t/~~/${id}`);
    expect(parseObjectKey(objectKey('..', id))).toEqual({ token: '~~', uploadId: id });
  });

  it('accept only keys Mayfly issues', () => {
    expect(ObjectKey.safeParse(`t/app/${id}`).success).toBe(true);
    for (const key of [`t/../${id}`, `t/a/b/${id}`, `x/app/${id}`, `t/app/${id}/`, 't/app/not-a-uuid', `t/app/${id.toUpperCase()}`]) {
      expect(ObjectKey.safeParse(key).success, key).toBe(false);
      expect(parseObjectKey(key), key).toBeNull();
    }
  });
});

describe('email.send input', () => {
  it('needs a valid address and text, html or a template', () => {
    expect(EmailSendInput.safeParse({ to: 'ada@example.com', subject: 's', text: 't' }).success).toBe(true);
    expect(EmailSendInput.safeParse({ to: 'ada@example.com', subject: 's', template_id: 'd-1', dynamic_data: { a: 1 } }).success).toBe(true);
    expect(EmailSendInput.safeParse({ to: 'ada', subject: 's', text: 't' }).success).toBe(false);
    const none = EmailSendInput.safeParse({ to: 'ada@example.com', subject: 's' });
    expect(none.success).toBe(false);
    expect(none.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['text', 'give text, html or template_id']]);
  });
});
