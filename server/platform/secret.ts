import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.ts';

/** Where the generated secret lives, inside DATA_DIR. */
export const SECRET_FILE = 'secret.key';

const MIN_LENGTH = 32;

/**
 * The server secret (HMAC key of affiliate codes): `SECRET_KEY` when set (required in
 * production); otherwise `DATA_DIR/secret.key`, created once with 32 random bytes (as hex,
 * mode 0600) and read back on every later start, so codes stay valid across restarts. The
 * file holds text: `SECRET_KEY=$(cat .data/secret.key)` keeps the same codes. Never logged.
 */
export async function loadSecretKey(config: Pick<Config, 'SECRET_KEY' | 'NODE_ENV' | 'DATA_DIR'>): Promise<Uint8Array> {
  if (config.SECRET_KEY) return new TextEncoder().encode(config.SECRET_KEY);
  if (config.NODE_ENV === 'production') {
    throw new ConfigError('invalid configuration: SECRET_KEY is required when NODE_ENV=production (unset)');
  }
  const file = join(config.DATA_DIR, SECRET_FILE);
  const text = (await readOrCreate(file)).trim();
  if (text.length < MIN_LENGTH) {
    throw new ConfigError(`invalid configuration: ${file} holds fewer than ${MIN_LENGTH} characters; set SECRET_KEY or remove the file`);
  }
  return new TextEncoder().encode(text);
}

async function readOrCreate(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(join(file, '..'), { recursive: true });
  // Written whole under a private name, then linked into place: link fails if the file exists,
  // so of several processes starting at once exactly one key wins, and nobody reads half a file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return readFile(file, 'utf8');
}
