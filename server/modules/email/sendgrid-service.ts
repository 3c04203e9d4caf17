import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';

/**
 * SendGrid's mail service with a client of its own (not the library's singletons), so two
 * transports in one process (tests) keep their keys and base URLs apart. Its own module: the
 * transport loads it with the first mail, not with the service.
 */
export function sendgridService(opts: { apiKey: string; baseUrl?: string | undefined; timeoutMs: number }): MailService {
  const client = new Client();
  client.setApiKey(opts.apiKey);
  // After setApiKey, which resets the base URL to the key's region.
  if (opts.baseUrl) client.setDefaultRequest('baseUrl', opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
  const service = new MailService();
  service.setClient(client);
  service.setTimeout(opts.timeoutMs);
  return service;
}
