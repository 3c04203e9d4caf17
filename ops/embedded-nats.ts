import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The URL of the nats-server that `npm start` spawned for `dataDir`, or undefined when none
 * runs. Found through the pid file the server itself writes (`DATA_DIR/nats/nats-server.pid`)
 * and the port on its command line (`-p <port>`, which the service passes): both come from the
 * running process, so a stale file or a reused pid never yields a wrong URL.
 */
export function findEmbeddedNats(dataDir: string): string | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'nats', 'nats-server.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const args = commandLine(pid);
  if (!args || !args.some((a) => a.includes('nats-server'))) return undefined;
  const port = args[args.indexOf('-p') + 1];
  const host = args[args.indexOf('-a') + 1];
  if (args.indexOf('-p') < 0 || !port || !/^\d+$/.test(port)) return undefined;
  return `nats://${args.indexOf('-a') >= 0 && host ? host : '127.0.0.1'}:${port}`;
}

function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // No /proc (macOS): ps prints the arguments (the service's contain no spaces).
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    } catch {
      return undefined;
    }
  }
}
