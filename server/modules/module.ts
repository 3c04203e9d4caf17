import type { AnyRouter } from '@trpc/server';
import type { LeaderJob } from '../../consumers/jobs/leader-job.ts';
import type { Projection } from '../../consumers/projection/projection.ts';
import { PLAIN_EXPIRING_TABLES, type ExpiringTable } from '../../consumers/reconciler/expiring-table.ts';
import type { Worker } from '../../consumers/worker.ts';
import type { MigrationSource } from '../platform/db/migrate.ts';
import type { PurgeHook, Services } from '../trpc/context.ts';
import { router } from '../trpc/trpc.ts';

/**
 * What a domain module hands the composition root, whole: the root router, the runtime, the
 * admin views and tenant purge are built by iterating these. A module uses another only
 * through that module's `index.ts` (its port: the module object and the services it offers).
 */
export interface Module<N extends string = string, R extends AnyRouter = AnyRouter, A extends AnyRouter | undefined = AnyRouter | undefined> {
  name: N;
  /** Mounted at `appRouter[name]`. */
  router: R;
  /** Operator procedures, mounted at `appRouter.admin[name]`. */
  adminRouter?: A;
  /** Read models fed by streams (one projector each, on one process at a time). */
  projections: readonly Projection[];
  /** Tables whose rows the reconciler hard-deletes at their TTL. */
  expiring: readonly ExpiringTable[];
  /**
   * Tables of records the reconciler deletes once their `expires_at` has passed, and nothing
   * else: aggregates and ledgers (sealed totals, receipt counts, the names a cap counts).
   */
  expiringRecords?: readonly string[];
  /** The module's tables, as versioned SQL files. */
  migrations?: MigrationSource;
  /** Periodic work, run by whichever consumer process holds the job's lease. */
  jobs?(services: Services): LeaderJob[];
  /** Side-effecting consumers (run in the consumer role, shared across processes). */
  workers?(services: Services): Worker[];
  /** Erases what the module keeps outside streams and `tenant` tables for an app (e.g. objects). */
  purgeTenant?: PurgeHook;
  /** Releases what the module holds open (e.g. HTTP/2 sessions); called once on shutdown. */
  close?(services: Services): Promise<void>;
}

export type AnyModule = Module<string, AnyRouter, AnyRouter | undefined>;

/** Declares a module, keeping its name, routers and parts' exact types (the root router's type needs them). */
export function defineModule<const M extends AnyModule>(m: M): M {
  return m;
}
type RecordOf<R> = R extends AnyRouter ? R['_def']['record'] : Record<never, never>;
type AdminContributions<Ms extends readonly AnyModule[]> = {
  [M in Ms[number] as M['adminRouter'] extends AnyRouter ? M['name'] : never]: Exclude<M['adminRouter'], undefined>;
};
type RootRecord<Ms extends readonly AnyModule[]> = {
  [M in Ms[number] as M['name'] extends 'admin' ? never : M['name']]: M['router'];
} & { admin: RecordOf<Extract<Ms[number], { name: 'admin' }>['router']> & AdminContributions<Ms> };

/**
 * The whole API: each module's router at its name, and under `admin` the admin module's
 * procedures together with every module's operator procedures (`admin.storage....`).
 */
export function rootRouter<const Ms extends readonly AnyModule[]>(modules: Ms) {
  const record: Record<string, unknown> = {};
  const contributions: Record<string, unknown> = {};
  let admin: Record<string, unknown> = {};
  for (const m of modules) {
    if (m.name === 'admin') admin = m.router._def.record as Record<string, unknown>;
    else record[m.name] = m.router;
    if (m.adminRouter) contributions[m.name] = m.adminRouter;
  }
  record.admin = { ...admin, ...contributions };
  return router(record as RootRecord<Ms>);
}

/**
 * State a module keeps for one running instance (its handler registry, HTTP/2 sessions,
 * subscriptions), made on first use from that instance's services. Tests run several
 * instances in one process; each gets its own.
 */
export function instanceState<T>(make: (s: Services) => T): { (s: Services): T; peek(s: Services): T | undefined; drop(s: Services): void } {
  const states = new WeakMap<Services, T>();
  const get = (s: Services): T => {
    let v = states.get(s);
    if (v === undefined) {
      v = make(s);
      states.set(s, v);
    }
    return v;
  };
  return Object.assign(get, { peek: (s: Services) => states.get(s), drop: (s: Services) => void states.delete(s) });
}

/** What the composition root and the admin views iterate, gathered from the modules. */
export function catalogOf(modules: readonly AnyModule[]) {
  return {
    modules,
    projections: modules.flatMap((m) => m.projections),
    expiring: modules.flatMap((m) => m.expiring),
    /** Core tables of short-lived records (idempotency, rate windows), then each module's. */
    expiringRecords: [...PLAIN_EXPIRING_TABLES, ...modules.flatMap((m) => m.expiringRecords ?? [])],
    /** Core tables first, then each module's. */
    migrations: [{ module: 'core', dir: new URL('../platform/db/migrations/', import.meta.url) }, ...modules.flatMap((m) => (m.migrations ? [m.migrations] : []))],
    purgeHooks: modules.flatMap((m) => (m.purgeTenant ? [m.purgeTenant] : [])),
  };
}
