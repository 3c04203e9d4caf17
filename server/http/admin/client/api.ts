import type { z } from 'zod';
import type { TenantKey, TenantSummary } from '@mayfly/contracts';
import type { ConsumerSummary } from '../../../modules/admin/consumers.ts';
import type { ReconcilerRun } from '../../../modules/admin/reconciler-runs.ts';
import type { ReplayRun } from '../../../modules/admin/replays.ts';
import type { StreamSummary } from '../../../modules/admin/streams.ts';
import type { Traffic } from '../../../modules/admin/traffic.ts';
import type { ParkedEvent } from '../../../../consumers/projector/parked.ts';

// The admin procedures' REST twin, as the dashboard reads it: the page calls nothing else.
// Types only (erased from the bundle): the wire shapes are the procedures' own schemas.

export type { ConsumerSummary, ReconcilerRun, ReplayRun, StreamSummary, Traffic };
export type App = z.infer<typeof TenantSummary>;
export type IssuedKey = z.infer<typeof TenantKey>;

interface Check {
  ok: boolean;
  latency_ms: number;
  detail?: string;
}
export interface Health {
  status: 'ok' | 'degraded';
  checks: { postgres: Check; nats: Check & { server_version: string; cluster_name: string | null; cluster_size: number }; s3?: Check };
}
export type Parked = ParkedEvent;
export interface Items<T> {
  items: T[];
}

/** An admin call answered with an error: its message is shown to the operator. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Relative to /admin, so a path prefix in front of the service works too. */
const BASE = 'api/v1/admin/';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(BASE + path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // The session has ended (12 h, or ADMIN_TOKEN changed): back to the sign-in form.
  if (res.status === 401) {
    window.location.reload();
    throw new ApiError(401, 'signed out');
  }
  const json = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  if (!res.ok) throw new ApiError(res.status, json?.error?.message ?? `${res.status} ${res.statusText}`);
  return json as T;
}

const seg = encodeURIComponent;

/** Every admin call the dashboard makes. */
export const api = {
  health: () => call<Health>('GET', 'health-detailed'),
  streams: () => call<Items<StreamSummary>>('GET', 'streams'),
  consumers: () => call<Items<ConsumerSummary>>('GET', 'consumers'),
  traffic: () => call<Traffic>('GET', 'traffic'),
  parked: () => call<Items<Parked>>('GET', 'parked'),
  retryParked: (p: Parked) => call<unknown>('POST', `parked/${seg(p.projection)}/${p.seq}/retry`),
  dropParked: (p: Parked) => call<unknown>('POST', `parked/${seg(p.projection)}/${p.seq}/drop`),
  reconcilerRuns: (since: Date) => call<Items<ReconcilerRun>>('GET', `reconciler/runs?limit=1500&since=${seg(since.toISOString())}`),
  replays: () => call<Items<ReplayRun>>('GET', 'replays?limit=50'),
  apps: () => call<Items<App>>('GET', 'tenants'),
  register: (appId: string) => call<IssuedKey>('POST', 'tenants', { app_id: appId }),
  rotate: (appId: string) => call<IssuedKey>('POST', `tenants/${seg(appId)}/rotate-key`),
  remove: (appId: string) => call<unknown>('DELETE', `tenants/${seg(appId)}?purge=true`),
};
