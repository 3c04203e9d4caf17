import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ReferralCode } from '@mayfly/contracts';
import { CODE_LENGTH, CROCKFORD, generateCode, normalizeCode, verifyCode } from './code.ts';

const secret = new TextEncoder().encode('unit-test-secret-0123456789abcdef0123');
const otherSecret = new TextEncoder().encode('another-secret-0123456789abcdef012345');

/** Every single-character change of `code`: each position set to every other alphabet letter. */
function alterations(code: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < code.length; i++) {
    for (const c of CROCKFORD) if (c !== code[i]) out.push(code.slice(0, i) + c + code.slice(i + 1));
  }
  return out;
}

describe('referral codes', () => {
  it('are 12 characters of Crockford base32, deterministic per tenant and session', () => {
    const code = generateCode(secret, 'com.example.app', 'session-1');
    expect(code).toHaveLength(CODE_LENGTH);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(ReferralCode.safeParse(code).success).toBe(true);
    expect(generateCode(secret, 'com.example.app', 'session-1')).toBe(code);
  });

  it('differ across sessions, tenants and secrets', () => {
    const code = generateCode(secret, 'app', 'session-1');
    expect(generateCode(secret, 'app', 'session-2')).not.toBe(code);
    expect(generateCode(secret, 'app.x', 'session-1')).not.toBe(code);
    expect(generateCode(secret, 'other', 'session-1')).not.toBe(code);
    expect(generateCode(otherSecret, 'app', 'session-1')).not.toBe(code);
  });

  it('keep issued codes valid across releases: the derivation is pinned', () => {
    expect(generateCode(secret, 'com.example.app', 'session-1')).toBe('GC1QPR2J5DHS');
  });

  it("verify for their own tenant only, never for another's (also app and app.x)", () => {
    for (const [owner, other] of [
      ['app', 'app.x'],
      ['app.x', 'app'],
      ['com.example.a', 'com.example.b'],
    ] as const) {
      const code = generateCode(secret, owner, 's');
      expect(verifyCode(secret, owner, code)).toBe(code);
      expect(verifyCode(secret, other, code)).toBeNull();
      expect(verifyCode(otherSecret, owner, code)).toBeNull();
    }
  });

  it('forgive case, hyphens, spaces and Crockford look-alikes (O, I, L)', () => {
    // Find a code with a 0 and a 1 in it, so that the look-alikes can be tried.
    let code = '';
    for (let i = 0; !(code.includes('0') && code.includes('1')); i++) code = generateCode(secret, 'app', `s${i}`);
    const typed = [
      code.toLowerCase(),
      `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`,
      ` ${code.slice(0, 6)} ${code.slice(6)} `,
      code.replaceAll('0', 'O').replaceAll('1', 'I'),
      code.replaceAll('0', 'o').replaceAll('1', 'l'),
      code.replaceAll('1', 'L'),
    ];
    for (const t of typed) expect(verifyCode(secret, 'app', t), t).toBe(code);
  });

  it('reject truncated, extended, altered and random strings', () => {
    const code = generateCode(secret, 'app', 'session-1');
    for (let n = 0; n < code.length; n++) expect(verifyCode(secret, 'app', code.slice(0, n))).toBeNull();
    expect(verifyCode(secret, 'app', `${code}0`)).toBeNull();
    expect(verifyCode(secret, 'app', `0${code}`)).toBeNull();
    const altered = alterations(code);
    expect(altered).toHaveLength(12 * 31);
    for (const a of altered) expect(verifyCode(secret, 'app', a), a).toBeNull();
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      // Reproducible "random" strings: a failure here is real, never bad luck.
      const random = [...createHash('sha256').update(`guess-${i}`).digest().subarray(0, 12)].map((b) => CROCKFORD[b & 31]).join('');
      if (verifyCode(secret, 'app', random) !== null) accepted++;
    }
    expect(accepted).toBe(0); // 20,000 guesses at 2^-30 each
    for (const junk of ['', 'hello', '*', '>', 'app.x', 'UUUUUUUUUUUU', `${code.slice(0, 11)}U`, 'x'.repeat(65)]) {
      expect(verifyCode(secret, 'app', junk)).toBeNull();
    }
  });

  it('normalize to the canonical form or null', () => {
    expect(normalizeCode('abcd-efgh-jkmn')).toBe('ABCDEFGHJKMN');
    expect(normalizeCode('oOiIlL-000111')).toBe('001111000111');
    expect(normalizeCode('ABCDEFGHJKMU')).toBeNull(); // U is not in the alphabet
    expect(normalizeCode('ABCDEFGHJKM')).toBeNull();
  });

  it('spread sessions over the id space (no early collisions)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5_000; i++) ids.add(generateCode(secret, 'app', `session-${i}`).slice(0, 6));
    // 5,000 draws from 2^30: a collision is a ~1% event; more than one means a broken spread.
    expect(ids.size).toBeGreaterThanOrEqual(4_999);
  });
});
