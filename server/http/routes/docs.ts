import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Context, Hono } from 'hono';
import type { AnyTRPCRouter } from '@trpc/server';
import type { buildOpenApiDocument } from '../openapi.ts';

/**
 * The API reference's Content-Security-Policy: everything from Mayfly's own origin, nothing
 * from anywhere else (no CDN, no fonts, no validator badge), no inline script or style.
 * Swagger UI's stylesheet draws its icons as `data:` images, which are no origin at all.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// URLs relative to the page (/docs), so the reference also works under a path prefix.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mayfly API</title>
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`;

// A file of its own (no inline script under the policy above).
const INIT = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
  displayOperationId: true,
});
`;

/** The files of swagger-ui-dist the page loads, with their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** True for the paths the API reference serves (GET only). */
export function isDocsPath(path: string): boolean {
  return path === '/docs' || path === '/openapi.json' || path === '/docs/init.js' || (path.startsWith('/docs/') && path.slice(6) in ASSETS);
}

/** Where swagger-ui-dist is installed (node_modules, as Node and Deno resolve it). */
const swaggerDir = () => dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * `/openapi.json` (built once, on first request) and the API reference at `/docs`: Swagger UI,
 * served whole from the installed `swagger-ui-dist` package, so the page works offline and a
 * reader's browser asks no other site for anything.
 */
export function docsRoutes(app: Hono, router: AnyTRPCRouter, version: string): void {
  let openapi: ReturnType<typeof buildOpenApiDocument> | undefined;
  app.get('/openapi.json', async (c) => c.json((openapi ??= (await import('../openapi.ts')).buildOpenApiDocument(router, version))));

  const page = (c: Context, body: string | Uint8Array<ArrayBuffer>, type: string, cache: string) => {
    c.header('Content-Type', type);
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('Cache-Control', cache);
    return c.body(body);
  };
  app.get('/docs', (c) => page(c, PAGE, 'text/html; charset=utf-8', 'no-cache'));
  app.get('/docs/init.js', (c) => page(c, INIT, 'text/javascript; charset=utf-8', 'no-cache'));
  const files = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  app.get('/docs/:file', async (c, next) => {
    const name = c.req.param('file');
    const type = ASSETS[name];
    if (type === undefined) return next();
    let file = files.get(name);
    if (!file) {
      file = readFile(join(swaggerDir(), name)).then((b) => new Uint8Array(b));
      files.set(name, file);
    }
    // The package's version is pinned by the lock file: a day's caching is safe.
    return page(c, await file, type, 'public, max-age=86400');
  });
}
