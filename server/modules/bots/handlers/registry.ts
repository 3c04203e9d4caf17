import { createHmac } from 'node:crypto';
import type { Config } from '../../../platform/config.ts';
import { echoHandler } from './echo.ts';
import type { BotHandler } from './handler.ts';
import { httpHandler } from './http.ts';
import { templateHandler } from './template.ts';
import { emailHandler } from './email.ts';
import type { Services } from '../../../trpc/context.ts';

/** The handlers this deployment runs, by task type. */
export type HandlerRegistry = ReadonlyMap<string, BotHandler>;

/** The key an app's `http` bot requests are signed with: derived from the server secret, one per app. */
export function botSigningKey(secretKey: Uint8Array, tenant: string): string {
  return createHmac('sha256', secretKey).update(`bot-http:${tenant}`).digest('hex');
}

/** Every handler, registered by name. */
export function createRegistry(config: Config, secretKey: Uint8Array, services: () => Services): HandlerRegistry {
  const handlers: BotHandler[] = [
    echoHandler,
    templateHandler,
    emailHandler(services),
    httpHandler({
      allowedHosts: config.BOT_HTTP_ALLOWED_HOSTS,
      allowPrivate: config.BOT_HTTP_ALLOW_PRIVATE,
      signingKey: (tenant) => botSigningKey(secretKey, tenant),
    }),
  ];
  return new Map(handlers.map((h) => [h.name, h]));
}
