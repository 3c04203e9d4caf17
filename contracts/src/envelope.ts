import { z } from 'zod';
import { LegacyAppId } from './tenant.ts';

/** Builds the envelope schema every event travels in: `{id, type, tenant, occurred_at, data, v}`. */
export function eventEnvelope<T extends string, D extends z.ZodType>(type: T, v: number, data: D) {
  return z.object({
    id: z.uuid(),
    type: z.literal(type),
    // Events written before app ids had to start and end with a letter or digit still decode.
    tenant: LegacyAppId,
    occurred_at: z.iso.datetime(),
    data,
    v: z.literal(v),
  });
}
