import {
  TenantAppIdInput,
  TenantCreateInput,
  TenantDeleted,
  TenantDeleteInput,
  TenantKey,
  TenantList,
  tenantSubject,
} from '@mayfly/contracts';
import type { Services } from '../../context.ts';
import { conflict, notFound } from '../../errors.ts';
import { newEvent } from '../../events/publisher.ts';
import { hashAppKey, newAppKey } from '../../tenancy/keys.ts';
import { purgeTenant } from '../../tenancy/purge.ts';
import { adminProcedure, router } from '../../trpc.ts';

const tags = ['admin'];

/** Publishes a registry event and waits until this instance's view has it. */
async function record(s: Services, event: Parameters<Services['events']['publish']>[0], appId: string, expectSeq: number) {
  const { seq } = await s.events.publish(event, tenantSubject(appId), { expectLastSubjectSequence: expectSeq });
  await s.tenants.waitFor(seq);
}

/** Registering, re-keying and removing apps (registered tenancy). */
export const tenantsAdminRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/admin/tenants', tags, summary: 'Registered apps (never their keys)' } })
    .output(TenantList)
    .query(({ ctx }) => ({
      items: ctx.services.tenants
        .list()
        .map((t) => ({ app_id: t.appId, registered_at: t.registeredAt, ...(t.rateLimits ? { rate_limits: t.rateLimits } : {}) })),
    })),

  create: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/admin/tenants', tags, summary: 'Register an app; its key is shown once' }, successStatus: 201 })
    .input(TenantCreateInput)
    .output(TenantKey)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      if (s.tenants.get(input.app_id)) throw conflict(`app ${input.app_id} is already registered`);
      const key = newAppKey();
      const last = await s.consistency.lastSequence('TENANTS', tenantSubject(input.app_id));
      const data = { app_id: input.app_id, key_hash: hashAppKey(s.secretKey, key), ...(input.rate_limits ? { rate_limits: input.rate_limits } : {}) };
      await record(s, newEvent('tenant.registered', input.app_id, data, s.now()), input.app_id, last);
      return { app_id: input.app_id, key };
    }),

  rotateKey: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/admin/tenants/{app_id}/rotate-key', tags, summary: 'New key; the old one stops working at once' } })
    .input(TenantAppIdInput)
    .output(TenantKey)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      if (!s.tenants.get(input.app_id)) throw notFound('app');
      const key = newAppKey();
      const last = await s.consistency.lastSequence('TENANTS', tenantSubject(input.app_id));
      await record(s, newEvent('tenant.key_rotated', input.app_id, { app_id: input.app_id, key_hash: hashAppKey(s.secretKey, key) }, s.now()), input.app_id, last);
      return { app_id: input.app_id, key };
    }),

  delete: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/admin/tenants/{app_id}', tags, summary: 'Remove an app; purge=true erases its data everywhere' } })
    .input(TenantDeleteInput)
    .output(TenantDeleted)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const known = s.tenants.get(input.app_id) !== undefined;
      if (!known && input.purge !== 'true') throw notFound('app');
      if (known) {
        const last = await s.consistency.lastSequence('TENANTS', tenantSubject(input.app_id));
        await record(s, newEvent('tenant.removed', input.app_id, { app_id: input.app_id }, s.now()), input.app_id, last);
      }
      if (input.purge === 'true') {
        const report = await purgeTenant(s, input.app_id, s.tenantPurgeHooks);
        ctx.log.info({ app_id: input.app_id, ...report }, 'tenant purged');
      }
      return { deleted: true as const };
    }),
});
