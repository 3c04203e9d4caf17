import { TenantAppIdInput, TenantCreateInput, TenantDeleted, TenantDeleteInput, TenantKey, TenantList, TenantSummary, TenantUpdateInput } from '@mayfly/contracts';
import { notFound } from '../../platform/errors.ts';
import { listTenants, registerTenant, removeTenant, rotateTenantKey, updateTenant } from './registrations.ts';
import { purgeTenant } from './purge.ts';
import { adminProcedure, noInput, router } from '../../trpc/trpc.ts';

const tags = ['admin'];

/** Registering, re-keying and removing apps (registered tenancy). The ops CLI shares the logic. */
export const tenantsAdminRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/admin/tenants', tags, summary: 'Registered apps (never their keys)' } })
    .input(noInput)
    .output(TenantList)
    .query(({ ctx }) => ({ items: listTenants(ctx.services.tenants) })),

  create: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/admin/tenants', tags, summary: 'Register an app; its key is shown once' }, successStatus: 201 })
    .input(TenantCreateInput)
    .output(TenantKey)
    .mutation(({ ctx, input }) => registerTenant(ctx.services, input.app_id, input)),

  update: adminProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/admin/tenants/{app_id}',
        tags,
        summary: 'Change an app’s rate limits or bundle ids; fields given replace, fields left out stay',
      },
    })
    .input(TenantUpdateInput)
    .output(TenantSummary)
    .mutation(({ ctx, input }) => updateTenant(ctx.services, input.app_id, input)),

  rotateKey: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/admin/tenants/{app_id}/rotate-key', tags, summary: 'New key; the old one stops working at once' } })
    .input(TenantAppIdInput)
    .output(TenantKey)
    .mutation(({ ctx, input }) => rotateTenantKey(ctx.services, input.app_id)),

  delete: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/admin/tenants/{app_id}', tags, summary: 'Remove an app; purge=true erases its data everywhere' } })
    .input(TenantDeleteInput)
    .output(TenantDeleted)
    .mutation(async ({ ctx, input }) => {
      const s = ctx.services;
      const removed = await removeTenant(s, input.app_id);
      if (!removed && input.purge !== 'true') throw notFound('app');
      if (input.purge === 'true') {
        const report = await purgeTenant(s, input.app_id);
        ctx.log.info({ app_id: input.app_id, ...report }, 'tenant purged');
      }
      return { deleted: true as const };
    }),
});
