import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file in DATA_DIR: who holds the directory. */
export const LOCK_FILE = 'mayfly.lock';

/** What the lock file says about the instance that holds it. */
export interface LockHolder {
  pid: number;
  /** Its HTTP port, once bound (none for a consumers-only process). */
  port?: number;
  /** When the process started, as the kernel counts it (Linux): tells a reused pid apart. */
  process_start?: string;
  started_at: string;
  /** Unique per taking, so a takeover can tell which file it moved. */
  nonce: string;
}

/** A data directory this process holds. */
export interface DataDirLock {
  readonly file: string;
  /** Records the HTTP port once it is bound, for a second start's message. */
  record(update: { port: number }): void;
  /** Gives the directory up (shutdown); idempotent. */
  release(): void;
}

/** Raised when another live instance holds the directory; the message is the one line to print. */
export class DataDirBusy extends Error {
  override name = 'DataDirBusy';
  constructor(
    readonly holder: LockHolder,
    dataDir: string,
  ) {
    const port = holder.port === undefined ? 'no HTTP port yet' : `port ${holder.port}`;
    super(`Mayfly is already running on DATA_DIR=${dataDir} (pid ${holder.pid}, ${port}): stop it first, or set another DATA_DIR`);
  }
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or undefined off Linux. */
function processStart(pid: number): { start: string; zombie: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { start: fields[19]!, zombie: fields[0] === 'Z' };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the process that wrote `holder` still runs (not a later process given the same pid). */
function holds(holder: LockHolder): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0 || !alive(holder.pid)) return false;
  const now = processStart(holder.pid);
  if (now === undefined) return true; // no /proc (macOS): a live pid is taken at its word
  return !now.zombie && (holder.process_start === undefined || holder.process_start === now.start);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes DATA_DIR for this process before anything else touches it: one Mayfly per data
 * directory, since PGlite and the spawned nats-server's store each belong to one process. A
 * second start finds the lock of a live instance and is refused ({@link DataDirBusy}, naming its
 * pid and port); a lock left by a process that is gone (killed, crashed) is taken over.
 *
 * The file is created whole under a private name and linked into place, which fails if a lock
 * exists, so two starts at once can not both win. A stale lock is moved aside before it is
 * replaced and checked to be the one judged stale: a live instance's lock, taken over in the
 * meantime by a third start, is put back.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const pid = process.pid;
  let me: LockHolder = { pid, started_at: new Date().toISOString(), nonce: randomBytes(8).toString('hex') };
  const start = processStart(pid)?.start;
  if (start !== undefined) me.process_start = start;
  const write = (target: string, flag: 'wx' | 'w') => writeFileSync(target, `${JSON.stringify(me)}\n`, { flag, mode: 0o644 });

  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${file}.${pid}.${randomBytes(4).toString('hex')}`;
    write(tmp, 'wx');
    try {
      linkSync(tmp, file);
      unlinkSync(tmp);
      let released = false;
      return {
        file,
        record(update) {
          if (released) return;
          me = { ...me, ...update };
          const next = `${file}.${pid}.next`;
          write(next, 'w');
          renameSync(next, file); // whole, never half written
        },
        release() {
          if (released) return;
          released = true;
          if (readHolder(file)?.nonce === me.nonce) unlinkSync(file);
        },
      };
    } catch (err) {
      unlinkSync(tmp);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && holds(holder)) throw new DataDirBusy(holder, dataDir);
    // Stale (or unreadable: a writer that died mid-write never links a file, so it is ours to clear).
    const aside = `${file}.stale.${pid}.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it: try again
      throw e;
    }
    const moved = readHolder(aside);
    if (moved && holder && moved.nonce !== holder.nonce && holds(moved)) {
      // Not the stale file: a live instance's lock, taken in between. Put it back.
      try {
        linkSync(aside, file);
      } catch {
        // another start got there first; it will be judged on the next round
      }
    }
    unlinkSync(aside);
  }
  const holder = readHolder(file);
  if (holder) throw new DataDirBusy(holder, dataDir);
  throw new Error(`could not take ${file}`);
}
