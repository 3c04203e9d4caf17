import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mayfly } from '../../runtime/start.ts';
import type { EmbeddedNats } from '../../platform/nats/embedded-server.ts';
import { deviceSubject } from '@mayfly/contracts';
import { startFakeApns, type FakeApns } from '../../../test/support/fake-apns.ts';
import { messagesOn } from '../../../test/support/inspect.ts';
import { makeRoot, serverCertificate } from '../../../test/support/ios-pki.ts';
import { jsonRequest, startTestMayfly } from '../../../test/support/mayfly.ts';
import { startTestNats } from '../../../test/support/nats.ts';

describe('a bot outcome pushed to the device that asked for it', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let apns: FakeApns;
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-notify-'));
  const post = async (path: string, body: unknown, app = 'notify-app') => {
    const res = await mayfly.app!.request(`/api/v1${path}`, jsonRequest('POST', body, { 'X-App-ID': app }));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const keyFile = join(dir, 'AuthKey.p8');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const ca = await makeRoot('Fake APNs CA');
    const tls = await serverCertificate(ca);
    writeFileSync(join(dir, 'ca.pem'), ca.pem);
    apns = await startFakeApns({ key: tls.keyPem, cert: tls.pem });
    nats = await startTestNats();
    mayfly = await startTestMayfly({
      NATS_URL: nats.url,
      DATABASE_URL: 'memory://',
      APNS_KEY_FILE: keyFile,
      APNS_KEY_ID: 'KEY1234567',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_TOPIC: 'com.example.app',
      APNS_HOST: apns.url,
      APNS_CA_FILE: join(dir, 'ca.pem'),
    });
  });
  afterAll(async () => {
    await mayfly?.stop();
    await apns?.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one push with the task id and status, then discards the registration', async () => {
    const token = randomBytes(32).toString('hex');
    const reg = await post('/ios/register-token', { token, environment: 'sandbox' });
    const registration_id = reg.body.registration_id as string;
    const task = await post('/bots/execute', { task_type: 'echo', context: { a: 1 }, notify_registration_id: registration_id });
    expect(task.body).toMatchObject({ status: 'completed' });
    await vi.waitFor(() => expect(apns.received.filter((p) => p.path === `/3/device/${token}`)).toHaveLength(1));
    const push = apns.received.find((p) => p.path === `/3/device/${token}`)!;
    expect(push.body).toMatchObject({ task_id: task.body.task_id, status: 'completed', aps: { alert: 'Your task is done' } });
    // The registration was for this one notification: it is discarded once APNs has answered
    // (a notify sent before that would still push). Its subject then holds the registration and
    // the discard (2), or nothing once the reconciler has purged it: never the registration alone.
    await vi.waitFor(async () => expect(await messagesOn(mayfly.broker, 'DEVICES', deviceSubject('notify-app', registration_id))).not.toBe(1));
    expect((await post('/ios/notify', { registration_id, alert: 'again' })).status).toBeGreaterThanOrEqual(404);
    expect(apns.received.filter((p) => p.path === `/3/device/${token}`)).toHaveLength(1);
  });

  it('refuses an unknown or another app’s registration at execute (404)', async () => {
    const token = randomBytes(32).toString('hex');
    const reg = await post('/ios/register-token', { token, environment: 'sandbox' }, 'someone-else');
    const res = await post('/bots/execute', { task_type: 'echo', context: {}, notify_registration_id: reg.body.registration_id });
    expect(res.status).toBe(404);
  });
});
