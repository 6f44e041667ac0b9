import { isIPv4, isIPv6 } from 'node:net';

/**
 * What a per-client rate limit counts against: an IPv4 address as it is, an IPv6 address by its /64.
 * A /64 is the smallest prefix an IPv6 host is given (RFC 7421; SLAAC and privacy addresses pick the
 * low 64 bits freely), so one host can rotate through 2^64 addresses and each would start a fresh
 * bucket. An IPv4-mapped IPv6 address (`::ffff:198.51.100.7`, how a dual-stack listener reports an
 * IPv4 client) is that IPv4 address, so both spellings share a bucket. Anything else (no address) is
 * returned unchanged. Linear in the input, which Fastify already bounds to an address.
 */
export function rateLimitSubject(ip: string): string {
  if (isIPv4(ip)) return ip;
  const address = ip.split('%')[0] ?? '';
  if (!isIPv6(address)) return ip;
  const groups = ipv6Groups(address);
  const [g6 = 0, g7 = 0] = groups.slice(6);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return [g6 >> 8, g6 & 255, g7 >> 8, g7 & 255].join('.');
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest = ''] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((h) => Number.parseInt(h, 16)) : []);
  const front = parse(head);
  const back = parse(rest);
  const zeros = text.includes('::') ? 8 - front.length - back.length : 0;
  return [...front, ...Array.from({ length: zeros }, () => 0), ...back];
}
