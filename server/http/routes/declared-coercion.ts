import type { AnyTRPCRouter } from '@trpc/server';

/** The part of a zod 4 schema this walk reads: its definition. */
interface ZodLike {
  _zod: { def: Record<string, unknown> & { type: string; coerce?: boolean } };
}

const COERCIBLE = new Set(['number', 'boolean', 'bigint', 'date']);

const isSchema = (v: unknown): v is ZodLike =>
  typeof v === 'object' && v !== null && '_zod' in v && typeof (v as ZodLike)._zod?.def?.type === 'string';

/** The schemas a definition holds (wrappers, pipes, objects, arrays, unions, records, tuples, lazy). */
function children(def: ZodLike['_zod']['def']): unknown[] {
  const out: unknown[] = [def.innerType, def.in, def.out, def.element, def.left, def.right, def.keyType, def.valueType, def.rest];
  if (Array.isArray(def.options)) out.push(...(def.options as unknown[]));
  if (Array.isArray(def.items)) out.push(...(def.items as unknown[]));
  if (typeof def.shape === 'object' && def.shape !== null) out.push(...(Object.values(def.shape) as unknown[]));
  if (def.type === 'lazy' && typeof def.getter === 'function') out.push((def.getter as () => unknown)());
  return out;
}

function pin(schema: unknown, seen: Set<unknown>): void {
  if (!isSchema(schema) || seen.has(schema)) return;
  seen.add(schema);
  const def = schema._zod.def;
  if (COERCIBLE.has(def.type) && !Object.getOwnPropertyDescriptor(def, 'coerce')?.get) {
    const declared = def.coerce === true;
    Object.defineProperty(def, 'coerce', { get: () => declared, set: () => undefined, enumerable: true, configurable: false });
  }
  for (const child of children(def)) pin(child, seen);
}

/**
 * Keeps every input schema of `router` coercing exactly as it is written. trpc-to-openapi's
 * REST handler switches zod's coercion on, in place, for every number, boolean, bigint and
 * date of a procedure's input on every call it serves (`coerceSchema`), JSON bodies included:
 * after one REST call, `"ttl_seconds": "60"` passed as 60 over REST and over tRPC alike (the
 * schemas are shared). Pinned, a JSON body's numbers must be numbers, and a query string's
 * values coerce where the schema says so (`z.coerce.number()`, as every GET input does).
 */
export function keepDeclaredCoercion(router: AnyTRPCRouter): void {
  const seen = new Set<unknown>();
  const procedures = router._def.procedures as Record<string, { _def: { inputs?: unknown[] } }>;
  for (const procedure of Object.values(procedures)) {
    for (const input of procedure._def.inputs ?? []) pin(input, seen);
  }
}
