import { randomUUID } from 'node:crypto';
import {
  createTenant,
  type Db,
  type TenantRow,
  type TenantSettings,
  updateTenantSettings,
} from '@ai-agents/db';
import type { SecretBox } from '@ai-agents/shared';

export interface TestTenantOptions {
  /** Default: `t-` and eight random hex characters, so tests in one database never collide. */
  slug?: string;
  /** Default: the slug. */
  name?: string;
  /** Default: a port nothing listens on, for tests that never call ServiceDesk Plus. */
  sdpBaseUrl?: string;
  /** The on-premises technician key; default `<slug>-key`. */
  technicianKey?: string;
  /** A Cloud tenant instead of an on-premises one: its Zoho OAuth client and accounts server. */
  cloud?: { clientId: string; clientSecret: string; refreshToken: string; accountsUrl: string };
  /** Applied after creation, as `tenant set` would (audited). */
  settings?: TenantSettings;
}

/** One tenant row for a test, as `tenant add` creates it; its webhook secret is returned once. */
export async function testTenant(
  db: Db,
  box: SecretBox,
  options: TestTenantOptions = {},
): Promise<{ tenant: TenantRow; webhookSecret: string }> {
  const slug = options.slug ?? `t-${randomUUID().slice(0, 8)}`;
  const created = await createTenant(db, box, {
    slug,
    name: options.name ?? slug,
    sdpBaseUrl: options.sdpBaseUrl ?? 'http://127.0.0.1:9',
    ...(options.cloud
      ? { sdpAuthType: 'cloud', sdpCredentials: { type: 'cloud', ...options.cloud } }
      : {
          sdpAuthType: 'onprem',
          sdpCredentials: { type: 'onprem', technicianKey: options.technicianKey ?? `${slug}-key` },
        }),
    actor: 'test',
  });
  if (created.outcome !== 'created') throw new Error(`test tenant ${slug} already exists`);
  const { tenant, webhookSecret } = created;
  if (options.settings) await updateTenantSettings({ db, tenantId: tenant.id }, options.settings, 'test');
  return { tenant, webhookSecret };
}
