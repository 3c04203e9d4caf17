import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type EmbeddedNats } from '../../server/platform/nats/embedded-server.ts';

/** A nats-server with JetStream on a free port and a temporary store, removed on dispose. */
export async function startTestNats(): Promise<EmbeddedNats & AsyncDisposable & { storeDir: string }> {
  const storeDir = mkdtempSync(join(tmpdir(), 'mayfly-nats-'));
  const server = await startNatsServer({ bin: process.env.NATS_SERVER_BIN ?? 'nats-server', storeDir });
  const stop = async () => {
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  };
  return { ...server, storeDir, stop, [Symbol.asyncDispose]: stop };
}

/** The nats-server binary the tests run: NATS_SERVER_BIN, else `nats-server` on PATH. */
export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? 'nats-server';

let version: string | undefined;
/** The version of the test nats-server (`2.9.10`), read once from `nats-server --version`. */
export function testNatsVersion(): string {
  version ??= /v?(\d+\.\d+\.\d+)/.exec(execFileSync(NATS_SERVER_BIN, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return version;
}
