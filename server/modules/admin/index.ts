import { router } from '../../trpc/trpc.ts';
import { defineModule } from '../module.ts';
import { consumersProcedure } from './consumers.ts';
import { healthDetailedProcedure } from './health.ts';
import { parkedAdminRouter } from './parked.ts';
import { reconcilerRunsProcedure } from './reconciler-runs.ts';
import { replaysProcedure } from './replays.ts';
import { streamsProcedure } from './streams.ts';
import { tenantsAdminRouter } from './tenants.ts';
import { trafficProcedure } from './traffic.ts';

export { purgeTenant, type PurgeReport } from './purge.ts';
export { listTenants, registerTenant, removeTenant, rotateTenantKey, type TenantAdminDeps } from './registrations.ts';
export { replayProgress } from './replays.ts';
export { describeConsumers, type ConsumerSummary } from './consumers.ts';
export { describeStreams, type StreamSummary } from './streams.ts';
export { lastReconcilerRuns } from './reconciler-runs.ts';

/**
 * Admin: the operator's procedures (`Authorization: Bearer <ADMIN_TOKEN>`, no X-App-ID):
 * health of every dependency, streams, consumers and lag, reconciler runs, replays, the app
 * registry and tenant purge. Other modules' operator procedures join them under `admin.<module>`.
 */
export const admin = defineModule({
  name: 'admin',
  router: router({
    healthDetailed: healthDetailedProcedure,
    tenants: tenantsAdminRouter,
    streams: streamsProcedure,
    consumers: consumersProcedure,
    reconcilerRuns: reconcilerRunsProcedure,
    replays: replaysProcedure,
    parked: parkedAdminRouter,
    traffic: trafficProcedure,
  }),
  projections: [],
  expiring: [],
});
