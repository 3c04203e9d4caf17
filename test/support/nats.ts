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
