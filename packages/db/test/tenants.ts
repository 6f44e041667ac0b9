import type { SecretBox } from '@ai-agents/shared';
import { createTenant, type Db } from '../src/index.js';

/** A tenant for a database test (on-prem ServiceDesk Plus, technician key `<slug>-key`); its id. */
export async function addTestTenant(db: Db, box: SecretBox, slug: string): Promise<string> {
  const { tenant } = await createTenant(db, box, {
    slug,
    name: slug,
    sdpBaseUrl: 'https://sdp.example.test',
    sdpAuthType: 'onprem',
    sdpCredentials: { type: 'onprem', technicianKey: `${slug}-key` },
    actor: 'test',
  });
  return tenant.id;
}
