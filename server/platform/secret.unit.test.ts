import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.ts';
import { loadSecretKey, SECRET_FILE } from './secret.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mayfly-secret-'));
  dirs.push(d);
  return join(d, 'nested', 'data');
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const text = (key: Uint8Array) => new TextDecoder().decode(key);

describe('the server secret', () => {
  it('is SECRET_KEY when set', async () => {
    const key = await loadSecretKey({ SECRET_KEY: 'k'.repeat(40), NODE_ENV: 'production', DATA_DIR: '/nonexistent' });
    expect(text(key)).toBe('k'.repeat(40));
  });

  it('is required in production', async () => {
    await expect(loadSecretKey({ SECRET_KEY: undefined, NODE_ENV: 'production', DATA_DIR: tempDir() })).rejects.toThrow(ConfigError);
  });

  it('is generated once into DATA_DIR (mode 0600) and read back on every later start', async () => {
    const dir = tempDir();
    const first = await loadSecretKey({ SECRET_KEY: undefined, NODE_ENV: 'development', DATA_DIR: dir });
    expect(text(first)).toMatch(/^[0-9a-f]{64}$/);
    const file = join(dir, SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(text(first));
    expect(text(await loadSecretKey({ SECRET_KEY: undefined, NODE_ENV: 'test', DATA_DIR: dir }))).toBe(text(first));
    // The file's text works as SECRET_KEY: moving to production keeps the codes.
    expect(text(await loadSecretKey({ SECRET_KEY: text(first), NODE_ENV: 'production', DATA_DIR: '/x' }))).toBe(text(first));
  });

  it('is the same for processes that start at once', async () => {
    const dir = tempDir();
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => loadSecretKey({ SECRET_KEY: undefined, NODE_ENV: 'development', DATA_DIR: dir })),
    );
    expect(new Set(keys.map(text)).size).toBe(1);
  });
});
