import ipaddr from 'ipaddr.js';

// Global unicast only: IPv6's 2000::/3 less the special blocks ipaddr.js knows inside it
// (6to4 and Teredo embed IPv4 addresses that may be internal; documentation, benchmarking...).
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * True when `address` (an IP literal) is anything but a global unicast address: loopback,
 * private, link-local (cloud metadata at 169.254.169.254), carrier NAT, multicast, reserved,
 * 6to4, Teredo, NAT64, IPv4-compatible and site-local IPv6 alike. Where a bot URL must never lead.
 */
export function isInternalAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true; // not an address: refuse
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.range() !== 'unicast') return true;
  return ip.kind() === 'ipv6' && !(ip as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
}
