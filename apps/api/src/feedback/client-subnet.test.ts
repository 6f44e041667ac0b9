import { describe, expect, it } from 'vitest';
import { rateLimitSubject } from './client-subnet.js';

describe('rateLimitSubject', () => {
  it('keeps an IPv4 address whole', () => {
    expect(rateLimitSubject('198.51.100.7')).toBe('198.51.100.7');
    expect(rateLimitSubject('198.51.100.8')).not.toBe(rateLimitSubject('198.51.100.7'));
  });

  it('counts every address of one IPv6 /64 as one client, another /64 as another', () => {
    const subnet = [
      '2001:db8:1:2::1',
      '2001:DB8:1:2:ffff:ffff:ffff:ffff',
      '2001:0db8:0001:0002:a1b2:c3d4:e5f6:0708',
      '2001:db8:1:2:0:0:0:9%eth0',
      '2001:db8:1:2::203.0.113.9',
    ].map(rateLimitSubject);
    expect(new Set(subnet)).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(rateLimitSubject('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(rateLimitSubject('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitSubject('fe80::')).toBe('fe80:0:0:0::/64');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(rateLimitSubject('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(rateLimitSubject('::FFFF:c633:6407')).toBe('198.51.100.7');
    expect(rateLimitSubject('0:0:0:0:0:ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('returns what is not an address unchanged', () => {
    expect(rateLimitSubject('')).toBe('');
    expect(rateLimitSubject('not-an-ip')).toBe('not-an-ip');
  });
});
