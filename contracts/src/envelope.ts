import { z } from 'zod';
import { AppId } from './tenant.ts';

/** Builds the envelope schema every event travels in: `{id, type, tenant, occurred_at, data, v}`. */
export function eventEnvelope<T extends string, D extends z.ZodType>(type: T, v: number, data: D) {
  return z.object({
    id: z.uuid(),
    type: z.literal(type),
    tenant: AppId,
    occurred_at: z.iso.datetime(),
    data,
    v: z.literal(v),
  });
}
