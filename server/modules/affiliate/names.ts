import type { Services } from '../../trpc/context.ts';
import { MayflyError } from '../../platform/errors.ts';
import { instanceState } from '../module.ts';

const DAY_MS = 86_400_000;
/** A name admitted this recently is not written again (its expiry moves on by the hour at most). */
const RENEW_AFTER_MS = 3_600_000;
/** Names this instance remembers having admitted. */
const REMEMBERED = 100_000;

type Kind = 'code' | 'event';

/**
 * `<tenant>\0<kind>\0<name>` to when this instance last admitted it, oldest first. An entry is
 * of use for RENEW_AFTER_MS only and goes then; an app's entries go at once when the app is
 * removed (on every instance) or purged (here): the names are the app's data.
 */
const admittedAt = instanceState((s: Services): Map<string, number> => {
  const remembered = new Map<string, number>();
  s.tenants.onChange((event) => {
    if (event.type === 'tenant.removed') forgetNames(remembered, event.data.app_id);
  });
  return remembered;
});

function forgetNames(remembered: Map<string, number>, tenant: string): void {
  const prefix = `${tenant}\u0000`;
  for (const key of remembered.keys()) if (key.startsWith(prefix)) remembered.delete(key);
}

/** Forgets the names this instance admitted for `tenant` (a tenant purge). */
export function forgetAdmittedNames(s: Services, tenant: string): void {
  const remembered = admittedAt.peek(s);
  if (remembered) forgetNames(remembered, tenant);
}

function capOf(s: Services, kind: Kind): { cap: number; setting: string; what: string } {
  return kind === 'code'
    ? { cap: s.config.AFFILIATE_MAX_CODES_PER_APP, setting: 'AFFILIATE_MAX_CODES_PER_APP', what: 'referral codes' }
    : { cap: s.config.AFFILIATE_MAX_EVENTS_PER_APP, setting: 'AFFILIATE_MAX_EVENTS_PER_APP', what: 'event names' };
}

/**
 * Admits a conversion's code and event name under the app's caps before it is counted: a name
 * the app already has counts of is renewed; a new one is added while the app has fewer than
 * its cap of that kind, else 422 (nothing is published). A name counts against the cap until
 * the last total it can be part of has gone: a day and ROLLUP_RETENTION_DAYS after its last
 * conversion. Instances racing on an app's last free places may admit a few more.
 */
export async function admitNames(s: Services, tenant: string, code: string, event: string): Promise<void> {
  const now = s.now().getTime();
  const remembered = admittedAt(s);
  // Entries are kept in the order they were admitted: those past their use go from the front.
  for (const [key, at] of remembered) {
    if (now - at <= RENEW_AFTER_MS) break;
    remembered.delete(key);
  }
  const wanted = ([['code', code], ['event', event]] as const).filter(([kind, name]) => now - (remembered.get(`${tenant}\u0000${kind}\u0000${name}`) ?? -Infinity) > RENEW_AFTER_MS);
  if (wanted.length === 0) return;
  const expiresAt = new Date(now + DAY_MS + s.config.ROLLUP_RETENTION_DAYS * DAY_MS).toISOString();
  const admitted = await s.db.query<{ kind: Kind }>(
    `WITH wanted (kind, name, cap) AS (SELECT * FROM unnest($2::text[], $3::text[], $4::int[]))
     INSERT INTO affiliate_names AS a (tenant, kind, name, expires_at)
     SELECT $1, w.kind, w.name, $5 FROM wanted w
     WHERE EXISTS (SELECT 1 FROM affiliate_names n WHERE n.tenant = $1 AND n.kind = w.kind AND n.name = w.name AND n.expires_at > $6)
        OR (SELECT count(*) FROM affiliate_names n WHERE n.tenant = $1 AND n.kind = w.kind AND n.expires_at > $6) < w.cap
     ON CONFLICT (tenant, kind, name) DO UPDATE SET expires_at = GREATEST(a.expires_at, excluded.expires_at)
     RETURNING a.kind`,
    [tenant, wanted.map(([k]) => k), wanted.map(([, n]) => n), wanted.map(([k]) => capOf(s, k).cap), expiresAt, new Date(now).toISOString()],
  );
  const refused = wanted.find(([kind]) => !admitted.some((a) => a.kind === kind));
  for (const [kind, name] of wanted) {
    if (refused?.[0] === kind) continue;
    const key = `${tenant}\u0000${kind}\u0000${name}`;
    remembered.delete(key);
    remembered.set(key, now);
    if (remembered.size > REMEMBERED) remembered.delete(remembered.keys().next().value!);
  }
  if (refused) {
    const { cap, setting, what } = capOf(s, refused[0]);
    throw new MayflyError('UNPROCESSABLE_CONTENT', `this app already has counts of ${cap} ${what} (${setting}); a new one is counted once older ones expire`, {
      details: [{ path: refused[0], message: `at most ${cap} distinct ${what} per app`, code: 'too_many_names' }],
    });
  }
}
