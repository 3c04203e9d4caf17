import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { describeError, errorResponse } from '../errors.ts';
import { connectionParams, tenantGate, type TenantAdmission } from './tenant-gate.ts';

const onlyKey: TenantAdmission = {
  async admit(appId, authorization) {
    if (authorization !== `Bearer key-of-${appId}`) throw Object.assign(new Error('no'), { status: 401 });
  },
};

function app(admission: TenantAdmission, calls: string[] = ['drafts.list'], subscription = false) {
  const a = new Hono();
  a.use(async (c, next) => {
    c.set('tenant', null);
    c.set('calls', calls);
    await next();
  });
  a.use(tenantGate(admission, () => subscription));
  a.all('*', (c) => c.json({ tenant: c.get('tenant') }));
  a.onError((err, c) => errorResponse(c, describeError(err)));
  return a;
}

const open: TenantAdmission = { admit: async () => undefined };

describe('tenantGate', () => {
  it('admits a well-formed X-App-ID and refuses a missing or malformed one with 400', async () => {
    expect(await (await app(open).request('/x', { headers: { 'X-App-ID': 'com.example.app' } })).json()).toEqual({ tenant: 'com.example.app' });
    expect(await (await app(open).request('/x')).json()).toMatchObject({ error: { code: 'MISSING_APP_ID' } });
    expect(await (await app(open).request('/x', { headers: { 'X-App-ID': 'a b' } })).json()).toMatchObject({ error: { code: 'INVALID_APP_ID' } });
  });

  it('asks the admission for the key, from the header or from connectionParams', async () => {
    expect((await app(onlyKey).request('/x', { headers: { 'X-App-ID': 'a', authorization: 'Bearer key-of-a' } })).status).toBe(200);
    expect((await app(onlyKey).request('/x', { headers: { 'X-App-ID': 'a', authorization: 'Bearer other' } })).status).toBe(500);
    const params = encodeURIComponent(JSON.stringify({ app_id: 'a', app_key: 'key-of-a' }));
    expect(await (await app(onlyKey, ['bots.onUpdate'], true).request(`/x?connectionParams=${params}`)).json()).toEqual({ tenant: 'a' });
    // Anything but a subscription must send its key in a header: a key in a URL ends up in logs.
    expect(await (await app(onlyKey).request(`/x?connectionParams=${params}`)).json()).toMatchObject({ error: { code: 'MISSING_APP_ID' } });
  });

  it('lets calls that are all admin procedures through without an app, and no batch that mixes them in', async () => {
    expect(await (await app(open, ['admin.tenants.list']).request('/x')).json()).toEqual({ tenant: null });
    expect((await app(open, ['admin.tenants.list', 'drafts.list']).request('/x')).status).toBe(400);
  });

  it('reads connectionParams as a JSON object of strings, ignoring anything else', () => {
    expect(connectionParams('{"app_id":"a","app_key":"k"}')).toEqual({ app_id: 'a', app_key: 'k' });
    expect(connectionParams('{"X-App-ID":"a"}')).toEqual({ app_id: 'a', app_key: undefined });
    for (const junk of [undefined, '', 'not json', '[1]', 'null', '{"app_id":7}', 'x'.repeat(5_000)]) {
      expect(connectionParams(junk).app_id).toBeUndefined();
    }
  });
});
