import { describe, expect, it } from 'vitest';
import { alertStormKey, normaliseSubject } from './alert-storm.js';

describe('alert storm key', () => {
  it('matches alerts that differ only in numbers, ids and addresses', () => {
    const a = alertStormKey({
      subject: 'CRITICAL: disk C: 97% full on SRV-0012 (10.0.4.17) at 2026-11-23 01:02:03',
      requester: { email_id: 'monitor@contoso.example' },
    });
    const b = alertStormKey({
      subject: 'CRITICAL: Disk C: 99% full on srv-0981 (10.0.9.200) at 2026-11-23 01:07:59',
      requester: { email_id: 'Monitor@contoso.example' },
    });
    expect(a).not.toBeNull();
    expect(a).toBe(b);
  });

  it('keeps different alerts, and the same alert from different requesters, apart', () => {
    const disk = { subject: 'Disk 97% full on SRV-12', requester: { email_id: 'monitor@contoso.example' } };
    expect(alertStormKey(disk)).not.toBe(
      alertStormKey({ ...disk, subject: 'Backup job 12 failed on SRV-12' }),
    );
    expect(alertStormKey(disk)).not.toBe(
      alertStormKey({ ...disk, requester: { email_id: 'ann@contoso.example' } }),
    );
  });

  it('has no key for a subject without words', () => {
    expect(alertStormKey({ subject: '1234 5678', requester: null })).toBe(
      alertStormKey({ subject: '99', requester: null }),
    );
    expect(alertStormKey({ subject: '   ', requester: null })).toBeNull();
    expect(normaliseSubject('Host 0xdeadbeef1 down')).toBe('host # down');
  });
});
