import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirBusy, LOCK_FILE, lockDataDir, type LockHolder } from './data-dir-lock.ts';

const dirs: string[] = [];
const dataDir = () => {
  const d = join(mkdtempSync(join(tmpdir(), 'mayfly-lock-')), 'data');
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(join(d, '..'), { recursive: true, force: true });
});
const holderOf = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

describe('the DATA_DIR lock', () => {
  it('is taken once: a second taker is refused with one line naming the holder’s pid, port and DATA_DIR', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    lock.record({ port: 8123 });
    expect(holderOf(dir)).toMatchObject({ pid: process.pid, port: 8123 });
    let refused: unknown;
    try {
      lockDataDir(dir);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirBusy);
    expect((refused as Error).message).toBe(`Mayfly is already running on DATA_DIR=${dir} (pid ${process.pid}, port 8123): stop it first, or set another DATA_DIR`);
    expect(holderOf(dir).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir).release(); // free again
  });

  it('takes over a lock whose process is gone, or whose pid now names another process', () => {
    const dir = dataDir();
    lockDataDir(dir); // made, then left behind as a crash would
    const gone = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: gone, port: 8000, started_at: 'x', nonce: 'old' }));
    const taken = lockDataDir(dir);
    expect(holderOf(dir)).toMatchObject({ pid: process.pid });
    expect(holderOf(dir).nonce).not.toBe('old');
    taken.release();
    // A live pid that started at another time than the holder did: the pid was reused.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, process_start: '1', started_at: 'x', nonce: 'reused' }));
    if (existsSync(`/proc/${process.pid}/stat`)) {
      lockDataDir(dir);
      expect(holderOf(dir).nonce).not.toBe('reused');
    }
  });

  it('releases only its own lock', () => {
    const dir = dataDir();
    const first = lockDataDir(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, started_at: 'x', nonce: 'someone else' }));
    first.release();
    expect(holderOf(dir).nonce).toBe('someone else');
  });
});
