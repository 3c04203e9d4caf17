import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { ErrorEnvelope } from '@mayfly/contracts';
import type { AnyRouter } from '@trpc/server';
import { REST_PREFIX, restRoutes } from './procedures.ts';

export { REST_PREFIX };

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid input, malformed JSON, or a missing/malformed X-App-ID header',
  '401': 'Missing or wrong credentials',
  '403': 'Not allowed (the admin API is off without ADMIN_TOKEN)',
  '404': 'Not found (or belongs to another app)',
  '409': 'Changed concurrently; read it again and retry',
  '410': 'Gone: a retry (same Idempotency-Key) of a request whose result was deleted or has expired (IDEMPOTENT_RESULT_GONE: nothing was done again), or a device token APNs rejected (GONE: register it again)',
  '413': 'Request body too large',
  '415': 'Content-Type must be application/json',
  '429': 'Rate limit reached; retry after Retry-After seconds (RateLimit-* headers tell the budget)',
  '422': 'Well-formed but refused (for example a forged affiliate code)',
  '500': 'Internal error; the request id identifies it in the logs',
  '503': 'A dependency is unavailable or the projection is catching up; retry after Retry-After seconds',
};

const camel = (procedure: string) =>
  procedure.split('.').map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');

type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  responses: Record<string, { description?: string; content?: unknown }>;
};

/**
 * The OpenAPI 3.1 document of the REST twin: generated from the procedures' metadata, then
 * given stable camelCase operation ids, the X-App-ID parameter, the real success status and
 * one shared error envelope for every error response.
 */
export function buildOpenApiDocument(router: AnyRouter, version: string): OpenAPIObject {
  const routes = restRoutes(router);
  const tags = [...new Set(routes.map((r) => r.procedure.split('.')[0]!))];
  const doc = generateOpenApiDocument(router, {
    title: 'Mayfly',
    description:
      'Privacy-first backend for many small apps: every byte has a time to live. Every call names its app in X-App-ID.',
    version,
    baseUrl: REST_PREFIX,
    tags,
    defs: { ErrorEnvelope },
    securitySchemes: {
      AppKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'Authorization: Bearer <app key> — required in registered tenancy (the production default), ignored in open tenancy',
      },
      AdminToken: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <ADMIN_TOKEN> (admin procedures only)' },
    },
  });
  const errorRef = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } };
  for (const pathItem of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(pathItem as Record<string, Operation>)) {
      const procedure = op.operationId?.replaceAll('-', '.') ?? '';
      const route = routes.find((r) => r.procedure === procedure);
      op.operationId = camel(procedure);
      const admin = procedure.startsWith('admin.');
      const mutation = route !== undefined && route.method !== 'GET';
      // Apps: the key when the deployment asks for one ({}: none needed in open tenancy).
      op.security = admin ? [{ AdminToken: [] }] : [{ AppKey: [] }, {}];
      if (mutation) {
        op.parameters = [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: 'Send the same key to retry safely: the first response is replayed (Idempotent-Replayed: true), for 24 h at most.',
            schema: { type: 'string', maxLength: 255, example: '6f1c2a9e-retry-1' },
          },
          ...(op.parameters ?? []),
        ];
      }
      op.parameters = [
        ...(admin ? [] : [{
          name: 'X-App-ID',
          in: 'header',
          required: true,
          description: 'The calling app: 1-64 characters of A-Z a-z 0-9 . _ -, starting and ending with a letter or digit',
          schema: { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$', example: 'com.example.app' },
        }]),
        ...(op.parameters ?? []),
      ];
      if (route && route.successStatus !== 200 && op.responses['200']) {
        op.responses[String(route.successStatus)] = op.responses['200'];
        delete op.responses['200'];
      }
      for (const code of ['413', '429', '503', ...(admin ? ['401', '403'] : ['401']), ...(mutation ? ['410'] : []), ...(route?.method === 'POST' || route?.method === 'PATCH' ? ['415'] : [])]) {
        op.responses[code] ??= {};
      }
      if (route && route.method !== 'POST') op.responses['409'] ??= {};
      if (route?.method === 'GET') delete op.responses['409'];
      for (const [code, response] of Object.entries(op.responses)) {
        if (Number(code) >= 400) {
          // Replaced, not mutated: the generator shares one response object between codes it
          // has no tRPC name for (410) and 500, so a mutation would give both one description.
          op.responses[code] = { description: ERROR_DESCRIPTIONS[code] ?? response.description ?? 'Error', content: errorRef };
        }
      }
    }
  }
  for (const name of Object.keys(doc.components?.schemas ?? {})) {
    if (name.startsWith('error.')) delete doc.components!.schemas![name];
  }
  return doc;
}
