import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import createClient from 'openapi-fetch';
import type { Mayfly } from '../server/runtime/start.ts';
import type { EmbeddedNats } from '../server/platform/nats/embedded-server.ts';
import { serve, type Listener } from '../server/http/serve.ts';
import { generateTypes } from '../scripts/openapi.ts';
import type { paths } from './generated/openapi.d.ts';
import { startTestMayfly } from './support/mayfly.ts';
import { startTestNats } from './support/nats.ts';
import { ROOT } from './support/process.ts';

describe('the OpenAPI document and a client generated from it', () => {
  let nats: EmbeddedNats;
  let mayfly: Mayfly;
  let listener: Listener;
  let doc: Record<string, unknown>;

  beforeAll(async () => {
    nats = await startTestNats();
    mayfly = await startTestMayfly({ NATS_URL: nats.url, DATABASE_URL: 'memory://' });
    listener = await serve(mayfly.app as never, 0, '127.0.0.1');
    doc = (await (await fetch(`http://127.0.0.1:${listener.port}/openapi.json`)).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await listener?.close();
    await mayfly?.stop();
    await nats?.stop();
  });

  it('validates as OpenAPI 3.1', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('is what the committed openapi.json and generated types were made from (run `npm run openapi` after a change)', async () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8'))).toEqual(doc);
    expect(readFileSync(join(ROOT, 'test/generated/openapi.d.ts'), 'utf8')).toBe(await generateTypes(doc));
  });

  it('drives the live server through drafts, bots and affiliate with the generated client', async () => {
    const api = createClient<paths>({ baseUrl: `http://127.0.0.1:${listener.port}/api/v1` });
    const headers = { 'X-App-ID': 'com.example.generated' };
    const created = await api.POST('/drafts', { params: { header: headers }, body: { content: 'typed by openapi-typescript', ttl_seconds: 600 } });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const read = await api.GET('/drafts/{id}', { params: { header: headers, path: { id } } });
    expect(read.data).toEqual(created.data);
    const patched = await api.PATCH('/drafts/{id}', { params: { header: headers, path: { id } }, body: { content: 'changed' } });
    expect(patched.data?.content).toBe('changed');
    const list = await api.GET('/drafts', { params: { header: headers, query: { limit: 5 } } });
    expect(list.data?.items.map((d) => d.id)).toEqual([id]);
    const missing = await api.GET('/drafts/{id}', { params: { header: headers, path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await api.DELETE('/drafts/{id}', { params: { header: headers, path: { id } } })).data).toEqual({ deleted: true });

    const task = await api.POST('/bots/execute', { params: { header: headers }, body: { task_type: 'template', context: { template: 'Hi {{n}}', values: { n: 'iOS' } } } });
    expect(task.data).toMatchObject({ status: 'completed', output: { text: 'Hi iOS' } });
    const got = await api.GET('/bots/tasks/{task_id}', { params: { header: headers, path: { task_id: task.data!.task_id } } });
    expect(got.data?.status).toBe('completed');

    const code = await api.POST('/affiliate/generate', { params: { header: headers }, body: { session_id: 'session-42' } });
    expect((await api.POST('/affiliate/verify', { params: { header: headers }, body: { code: code.data!.code } })).data).toEqual({ valid: true });
    expect((await api.POST('/affiliate/conversion', { params: { header: headers }, body: { code: code.data!.code, event: 'signup' } })).data).toEqual({ accepted: true });
    const stats = await api.GET('/affiliate/stats', { params: { header: headers, query: { code: code.data!.code } } });
    expect(stats.data?.items).toMatchObject([{ code: code.data!.code, event: 'signup', count: 1 }]);
  });
});
