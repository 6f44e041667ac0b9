import {
  type FakeServiceDesk,
  randomEncryptionKey,
  STRICT_QUIRKS,
  startFakeServiceDesk,
  type TestDatabase,
} from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, admin, adminDatabase } from './support/run-admin.js';

// `tenant check` against portals that answer its add-note probe (a note on request 0) differently:
// 404/4007 on the default portal, 400/4001 naming the id on a strict one. Both mean "may post".

const technicianKey = 'check-strict-technician-key';
let testDb: TestDatabase;
let strict: FakeServiceDesk;
let plain: FakeServiceDesk;

beforeAll(async () => {
  testDb = await adminDatabase({ ENCRYPTION_KEY: randomEncryptionKey(), SDP_TECHNICIAN_KEY: technicianKey });
  [strict, plain] = await Promise.all([
    startFakeServiceDesk({ technicianKeys: [technicianKey], edition: 'onprem', quirks: STRICT_QUIRKS }),
    startFakeServiceDesk({ technicianKeys: [technicianKey], edition: 'onprem' }),
  ]);
});

afterAll(async () => {
  await strict?.close();
  await plain?.close();
  await testDb?.drop();
});

const probes = (sdp: FakeServiceDesk) =>
  sdp.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/notes'));

describe('tenant check’s add-note probe', () => {
  it.each([
    ['strict', 400],
    ['plain', 404],
  ] as const)('on a %s portal (answered %i) reports a key that may post', async (name, status) => {
    const sdp = name === 'strict' ? strict : plain;
    expect((await addTenant({ slug: `check-${name}`, sdpUrl: sdp.url })).code).toBe(0);
    const check = await admin('--json', 'tenant', 'check', `check-${name}`);
    expect(check.code).toBe(0);
    const result = JSON.parse(check.out);
    expect(result).toMatchObject({ ok: true });
    expect(result.capabilities).toContainEqual(
      expect.objectContaining({ capability: 'add notes', ok: true }),
    );
    // The probe was answered as a missing request, not let through: nothing was created.
    expect(probes(sdp).map((c) => c.status)).toContain(status);
    expect(sdp.notes()).toHaveLength(0);
  });

  it('a key without the right to post still fails the check on a strict portal', async () => {
    expect((await addTenant({ slug: 'check-refused', sdpUrl: strict.url })).code).toBe(0);
    strict.setFault('addNote', { status: 403 });
    try {
      const check = await admin('--json', 'tenant', 'check', 'check-refused');
      expect(check.code).toBe(1);
      expect(JSON.parse(check.out)).toMatchObject({ ok: false, problem: 'forbidden' });
    } finally {
      strict.clearFaults();
    }
  });
});
