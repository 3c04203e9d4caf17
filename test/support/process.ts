import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepOutput } from './log-audit.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A Mayfly started as a real process, as a user starts it. */
export interface MayflyProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `command` (default: `node --import tsx server/main.ts`) with PORT=0 and resolves once
 * it logs the port it listens on.
 */
export async function spawnMayfly(env: Record<string, string>, command = ['node', '--import', 'tsx', 'server/main.ts']): Promise<MayflyProcess> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', REFUSAL_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, signalled as a whole like a terminal does: npm does not pass
    // a SIGTERM sent to it alone on to the service.
    detached: true,
  });
  live.add(child);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (out += d));
  // 'close' waits for every process holding the output pipes (npm's child too), not just npm.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      live.delete(child);
      keepOutput(String(child.pid), out);
      resolve(code);
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${out}`)), 30_000);
    let found = false;
    child.stdout.on('data', (d: string) => {
      // Scanned for the port until it is found, then only kept: a busy service logs a line per request.
      const from = Math.max(0, out.length - 64);
      out += d;
      if (found) return;
      const m = /mayfly listening on :(\d+)/.exec(out.slice(from));
      if (m) {
        found = true;
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code} before listening:\n${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    exited,
    async kill(signal) {
      signalGroup(child, signal);
      return exited;
    },
  };
}

/** Runs `command` (a start that should end by itself) to its end: exit code, output, and how long it took from spawn. */
export function runToExit(command: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started })));
}

const live = new Set<ChildProcess>();

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills every process group this file spawned and that is still running. */
export function killAllSpawned(): void {
  for (const child of live) signalGroup(child, 'SIGKILL');
  live.clear();
}

/** Whether a process still runs (signal 0 tests for it without touching it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Temporary directories for one test file, named `mayfly-<prefix>-…`: `make()` gives a new one,
 * and the file's `afterAll` stops what it spawned and removes them all.
 */
export function scratchDirs(prefix: string): { make: () => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    make: () => {
      const d = mkdtempSync(join(tmpdir(), `mayfly-${prefix}-`));
      dirs.push(d);
      return d;
    },
    removeAll: () => {
      killAllSpawned();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}
