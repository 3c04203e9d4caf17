import type { Hono } from 'hono';
import { Scalar } from '@scalar/hono-api-reference';
import type { AnyTRPCRouter } from '@trpc/server';
import type { buildOpenApiDocument } from '../openapi.ts';

/** True for the paths the API reference serves (GET only). */
export function isDocsPath(path: string): boolean {
  return path === '/docs' || path === '/openapi.json';
}

/** `/openapi.json` (built once, on first request) and the API reference at `/docs`. */
export function docsRoutes(app: Hono, router: AnyTRPCRouter, version: string): void {
  let openapi: ReturnType<typeof buildOpenApiDocument> | undefined;
  app.get('/openapi.json', async (c) => c.json((openapi ??= (await import('../openapi.ts')).buildOpenApiDocument(router, version))));
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Mayfly API' }));
}
