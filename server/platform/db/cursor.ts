import { Buffer } from 'node:buffer';
import { invalidInput } from '../errors.ts';

/** An opaque page cursor for `(created_at, id)` keyset pagination, newest first. */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

/** The `(created_at, id)` a cursor stands for; 400 when it is not one of ours. */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      if (!Number.isNaN(Date.parse(v[0])) && /^[0-9a-f-]{36}$/i.test(v[1])) return [v[0], v[1]];
    }
  } catch {
    // fall through
  }
  throw invalidInput('cursor is not valid; use next_cursor from a previous page', [
    { path: 'cursor', message: 'is not a cursor of this list: use next_cursor from a previous page', code: 'invalid_cursor' },
  ]);
}
