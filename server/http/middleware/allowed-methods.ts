import type { Context, MiddlewareHandler } from 'hono';
import { errorResponse } from '../errors.ts';
import '../variables.ts';

/** The methods a path answers to, or undefined for a path Mayfly does not know (a 404). */
export type MethodsOf = (c: Context) => readonly string[] | undefined;

/**
 * A known path asked with a method it does not answer to is a 405 with `Allow` naming the
 * methods it does (`PUT /api/v1/drafts`: `Allow: GET, POST`), before anything else looks at
 * the request; `OPTIONS` is answered with `Allow` alone (after CORS, which answers preflights).
 * HEAD goes wherever GET does. Unknown paths go on to their 404.
 */
export function allowedMethods(methodsOf: MethodsOf): MiddlewareHandler {
  return async (c, next) => {
    const allowed = methodsOf(c);
    const method = c.req.method;
    if (allowed === undefined || allowed.length === 0 || allowed.includes(method) || (method === 'HEAD' && allowed.includes('GET'))) {
      return next();
    }
    c.header('Allow', allowed.join(', '));
    if (method === 'OPTIONS') return c.body(null, 204);
    return errorResponse(c, { status: 405, code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed here; use ${allowed.join(' or ')}` });
  };
}
