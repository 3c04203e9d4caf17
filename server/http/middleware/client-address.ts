import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

/** The proxies whose `X-Forwarded-For` names the client (TRUSTED_PROXIES: addresses or CIDR ranges). */
export type TrustedProxies = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

/** Parses TRUSTED_PROXIES entries (`10.0.0.0/8`, `192.0.2.7`, `::1`); throws on one that is neither. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  return entries.map((e) => (e.includes('/') ? ipaddr.parseCIDR(e) : ([ipaddr.parse(e), ipaddr.parse(e).kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])));
}

const normal = (address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined => {
  if (!ipaddr.isValid(address)) return undefined;
  const ip = ipaddr.parse(address);
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
};

const trusted = (address: string, proxies: TrustedProxies): boolean => {
  const ip = normal(address);
  return ip !== undefined && proxies.some(([net, bits]) => ip.kind() === net.kind() && ip.match(net, bits));
};

/** True for 127.0.0.0/8 and ::1 (and their IPv4-mapped forms). */
export function isLoopback(address: string): boolean {
  return normal(address)?.range() === 'loopback';
}

/** The peer address of the connection (Node: the socket; Deno: passed in by serve()). */
function peerAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: string } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr ?? 'unknown';
}

/**
 * The client's address: the connection's peer, or, when the peer is a trusted proxy, the
 * rightmost `X-Forwarded-For` entry that is not one (entries left of it could be forged by the
 * client itself).
 */
export function clientAddress(c: Context, proxies: TrustedProxies = []): string {
  const peer = peerAddress(c);
  if (proxies.length === 0 || !trusted(peer, proxies)) return peer;
  const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    if (!trusted(forwarded[i]!, proxies)) return normal(forwarded[i]!) ? forwarded[i]! : peer;
  }
  return forwarded[0] ?? peer;
}
