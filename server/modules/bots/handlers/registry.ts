import { createHmac } from 'node:crypto';
import type { Services } from '../../../trpc/context.ts';
import { instanceState } from '../../module.ts';
import { echoHandler } from './echo.ts';
import { emailHandler } from './email.ts';
import type { BotHandler } from './handler.ts';
import { HostBreakers } from './host-breakers.ts';
import { httpHandler } from './http.ts';
import { templateHandler } from './template.ts';

/** The handlers a deployment runs, by task type. */
export type HandlerRegistry = Map<string, BotHandler>;

/** The key an app's `http` bot requests are signed with: derived from the server secret, one per app. */
export function botSigningKey(secretKey: Uint8Array, tenant: string): string {
  return createHmac('sha256', secretKey).update(`bot-http:${tenant}`).digest('hex');
}

/**
 * The `http` bot's circuits of this instance, per app and host. An app's go when it is removed
 * (on every instance) or purged (on the purging one).
 */
export const hostBreakers = instanceState((s: Services): HostBreakers => {
  const breakers = new HostBreakers();
  s.tenants.onChange((event) => {
    if (event.type === 'tenant.removed') breakers.forget(event.data.app_id);
  });
  return breakers;
});

/** Every handler of this instance, registered by name (built on first use). */
export const botHandlers = instanceState((s: Services): HandlerRegistry => {
  const handlers: BotHandler[] = [
    echoHandler,
    templateHandler,
    emailHandler(s),
    httpHandler({
      allowedHosts: s.config.BOT_HTTP_ALLOWED_HOSTS,
      allowPrivate: s.config.BOT_HTTP_ALLOW_PRIVATE,
      signingKey: (tenant) => botSigningKey(s.secretKey, tenant),
      breakers: hostBreakers(s),
    }),
  ];
  return new Map(handlers.map((h) => [h.name, h]));
});
