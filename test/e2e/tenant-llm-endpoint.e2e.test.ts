import { Writable } from 'node:stream';
import { type FakeLlm, randomEncryptionKey, startFakeLlm, TECHNICIAN_KEY, waitFor } from '@ai-agents/sandbox';
import { createLogger } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminWithStdin, admin as runAdmin } from '../../apps/api/test/support/run-admin.js';
import { type Stack, startStack } from '../kit/stack.js';

// Three tenants of one installation, the real API, worker and admin CLI, and three fake LLM servers
// that each accept one key only: client A on the installation's endpoint (OPENAI_BASE_URL with
// OPENAI_API_KEY), client B on its own OpenAI-compatible server with its own key, client C on an
// Azure OpenAI-shaped resource (deployment path, api-version, api-key header). A note written with the
// wrong key or at the wrong server would come back as a context-only fallback note.

const INSTALLATION_KEY = 'installation-key-7f3a';
const OWN_KEY = 'own-key-of-client-b-1';
const OWN_KEY_ROTATED = 'own-key-of-client-b-2';
const AZURE_KEY = 'azure-key-of-client-c';

// The API's and worker's log at trace level: no key of any endpoint may appear in it.
const logLines: string[] = [];
const logger = createLogger(
  { name: 'llm-endpoint', level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

let stack: Stack;
let own: FakeLlm;
let azure: FakeLlm;
const clients: Record<'a' | 'b' | 'c', { id: string; slug: string; secret: string }> = {} as never;

/** The operator CLI in-process (apps/api's test harness) with the stack's environment plus `env`. */
async function admin(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  for (const [name, value] of Object.entries({ ...stack.env, ...options.env })) vi.stubEnv(name, value);
  try {
    return options.stdin === undefined
      ? await runAdmin(...args)
      : await adminWithStdin(options.stdin, ...args);
  } finally {
    vi.unstubAllEnvs();
  }
}

let sequence = 0;
/** A ticket for `client` through its signed webhook; resolves with its enhancement once posted. */
async function noteFor(client: 'a' | 'b' | 'c') {
  const eventId = `llm-endpoint-${client}-${++sequence}`;
  const request = stack.sdp.addRequest({
    subject: `VPN drops every hour at site ${client}${sequence}`,
    description: '<p>The VPN disconnects every hour since the firewall update.</p>',
  });
  const { slug, secret } = clients[client];
  const res = await stack.post(
    { event: 'request.created', event_id: eventId, request: { id: request.id } },
    {},
    { slug, secret },
  );
  expect(res.status).toBe(202);
  return waitFor(
    async () => {
      const row = await stack.row(eventId, clients[client].id);
      return row?.status === 'posted' ? row : undefined;
    },
    20_000,
    `the note of ${eventId}`,
  );
}

const host = (fake: FakeLlm) => new URL(fake.origin).host;

/** `tenant llm client-c --endpoint azure` at `baseUrl`, with the deployment unless `deployment` is null. */
const azureFlags = (baseUrl: string, deployment: string | null = 'notes-4o') => [
  ...['tenant', 'llm', 'client-c', '--endpoint', 'azure', '--base-url', baseUrl],
  ...(deployment === null ? [] : ['--azure-deployment', deployment]),
  ...['--azure-api-version', '2024-10-21'],
];

beforeAll(async () => {
  stack = await startStack({
    llm: { apiKey: INSTALLATION_KEY },
    logger,
    env: {
      OPENAI_API_KEY: INSTALLATION_KEY,
      LLM_MAX_RETRIES: '0',
      ALERT_STORM_DEDUPE: 'false',
      LOG_LEVEL: 'trace',
    },
  });
  own = await startFakeLlm({ apiKey: OWN_KEY });
  azure = await startFakeLlm({ apiKey: AZURE_KEY, azure: { deployments: ['notes-4o'] } });
  clients.a = { id: stack.tenantId, slug: stack.slug, secret: stack.secret };
  for (const name of ['b', 'c'] as const) {
    const { tenant, webhookSecret } = await stack.addTenant({
      slug: `client-${name}`,
      sdpBaseUrl: stack.sdp.url,
      technicianKey: TECHNICIAN_KEY,
    });
    clients[name] = { id: tenant.id, slug: tenant.slug, secret: webhookSecret };
  }
  await stack.startApi();
  await stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await own?.close();
  await azure?.close();
});

describe("a tenant's own model endpoint", () => {
  it('is set from the environment and tried once before it is saved', async () => {
    const set = await admin(
      ['tenant', 'llm', 'client-b', '--endpoint', 'compatible', '--base-url', own.url, '--model', 'llama3.1'],
      { env: { TENANT_LLM_API_KEY: OWN_KEY } },
    );
    expect(set.err).toBe('');
    expect(set.code).toBe(0);
    expect(set.out).toContain(`endpoint installation → compatible ${host(own)}`);
    expect(set.out).toContain(`LLM: compatible ${host(own)}, model llama3.1: OK`);
    expect(own.calls.map((c) => [c.model, c.status])).toEqual([['llama3.1', 200]]);
    expect(set.out).not.toContain(OWN_KEY);
  });

  it('Azure-shaped: the key from standard input, the deployment and api-version as flags', async () => {
    const set = await admin([...azureFlags(azure.origin), '--model', 'gpt-4o', '--stdin'], {
      stdin: `TENANT_LLM_API_KEY=${AZURE_KEY}\n`,
    });
    expect(set.code).toBe(0);
    expect(set.out).toContain(`LLM: azure ${host(azure)}, model gpt-4o: OK`);
    expect(azure.calls.at(-1)).toMatchObject({ deployment: 'notes-4o', status: 200 });
  });

  it('writes each note at its own endpoint with its own key, and the installation’s for the others', async () => {
    const before = { installation: stack.llm.calls.length, own: own.calls.length, azure: azure.calls.length };
    const [a, b, c] = await Promise.all([noteFor('a'), noteFor('b'), noteFor('c')]);
    for (const row of [a, b, c]) expect(row).toMatchObject({ fallback: false });
    expect(a.model).toBe('gpt-4o-mini');
    expect(b.model).toBe('llama3.1');
    expect(c.model).toBe('gpt-4o');
    expect(stack.llm.calls.slice(before.installation).map((call) => call.status)).toEqual([200]);
    expect(own.calls.slice(before.own).map((call) => [call.model, call.status])).toEqual([['llama3.1', 200]]);
    expect(azure.calls.slice(before.azure)).toMatchObject([{ deployment: 'notes-4o', status: 200 }]);
  });

  it('tenant check tries the endpoint and reports it; the installation’s is named, not tried', async () => {
    const checked = await admin(['tenant', 'check', 'client-c']);
    expect(checked.code).toBe(0);
    expect(checked.out).toContain(`LLM: azure ${host(azure)}, model gpt-4o: OK`);
    const json = await admin(['--json', 'tenant', 'check', 'client-b']);
    expect(JSON.parse(json.out)).toMatchObject({
      ok: true,
      llm: { endpoint: `compatible ${host(own)}`, model: 'llama3.1', ok: true },
    });
    expect((await admin(['tenant', 'show', 'client-c'])).out).toContain(
      `model endpoint:  azure ${host(azure)}`,
    );
    const installation = await admin(['tenant', 'check', clients.a.slug]);
    expect(installation.code).toBe(0);
    expect(installation.out).toContain('LLM: installation');
    expect(installation.out).toContain('not tried');
  });

  it('the usage report names the endpoint that serves each tenant, never a key', async () => {
    const usage = await admin(['--json', 'usage']);
    expect(usage.code).toBe(0);
    const bySlug = Object.fromEntries(
      (JSON.parse(usage.out) as { tenants: { slug: string; llm_endpoint: string }[] }).tenants.map((t) => [
        t.slug,
        t.llm_endpoint,
      ]),
    );
    expect(bySlug).toEqual({
      [clients.a.slug]: 'installation',
      'client-b': `compatible ${host(own)}`,
      'client-c': `azure ${host(azure)}`,
    });
    const table = await admin(['usage']);
    expect(table.out).toMatch(new RegExp(`client-c\\s+azure ${host(azure)}`));
    for (const key of [OWN_KEY, AZURE_KEY, INSTALLATION_KEY])
      expect(table.out + usage.out).not.toContain(key);
  });

  it('a rotated key: refused by the provider, then rotated, and the next note is the model’s again', async () => {
    own.setApiKey(OWN_KEY_ROTATED);
    expect(await noteFor('b')).toMatchObject({ fallback: true });
    const failing = await admin(['tenant', 'check', 'client-b']);
    expect(failing.code).toBe(1);
    expect(failing.err + failing.out).toContain('refused the key (HTTP 401)');

    const wrong = await admin(['tenant', 'llm', 'client-b', '--rotate-key'], {
      env: { TENANT_LLM_API_KEY: 'not-the-new-key' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('not saved');
    const rotated = await admin(['tenant', 'llm', 'client-b', '--rotate-key'], {
      env: { TENANT_LLM_API_KEY: OWN_KEY_ROTATED },
    });
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain(`key of compatible ${host(own)} replaced`);
    expect(await noteFor('b')).toMatchObject({ fallback: false, model: 'llama3.1' });
  });

  it('--endpoint default sends the tenant back to the installation’s endpoint and drops its key', async () => {
    const reverted = await admin([
      'tenant',
      'llm',
      'client-b',
      '--endpoint',
      'default',
      '--model',
      'default',
    ]);
    expect(reverted.code).toBe(0);
    expect(reverted.out).toContain(`endpoint compatible ${host(own)} → installation`);
    const ownCalls = own.calls.length;
    expect(await noteFor('b')).toMatchObject({ fallback: false, model: 'gpt-4o-mini' });
    expect(own.calls.length).toBe(ownCalls);
    // Pointing it at a server again needs a key: the dropped one does not come back.
    const noKey = await admin([
      'tenant',
      'llm',
      'client-b',
      '--endpoint',
      'compatible',
      '--base-url',
      own.url,
    ]);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('a new endpoint needs its key');
  });

  it('refuses a key on the command line and endpoint flags that do not fit together', async () => {
    const flag = await admin(['tenant', 'llm', 'client-c', '--rotate-key', '--api-key', 'sk-visible-in-ps']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('--api-key is not accepted');
    expect(flag.err).not.toContain('sk-visible-in-ps');
    const noDeployment = await admin(azureFlags(azure.origin, null), {
      env: { TENANT_LLM_API_KEY: AZURE_KEY },
    });
    expect(noDeployment.code).toBe(2);
    expect(noDeployment.err).toContain('--azure-deployment');
    const old = await admin([...azureFlags(azure.origin), '--azure-api-version', '2024-06-01'], {
      env: { TENANT_LLM_API_KEY: AZURE_KEY },
    });
    expect(old.code).toBe(2);
    expect(old.err).toContain('--azure-api-version 2024-06-01 is older than');
    // Another origin, no new key: the stored key is not sent there, not even for the check.
    const elsewhere = await admin(azureFlags(own.origin));
    expect(elsewhere.code).toBe(2);
    expect(own.calls.filter((c) => c.deployment !== undefined)).toEqual([]);
  });

  it('keys rotate re-encrypts the endpoint key: tenant check still reaches Azure under the new key alone', async () => {
    const newKey = randomEncryptionKey();
    const rotated = await admin(['--json', 'keys', 'rotate'], {
      env: { ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS: stack.encryptionKey },
    });
    expect(rotated.code).toBe(0);
    const checked = await admin(['tenant', 'check', 'client-c'], { env: { ENCRYPTION_KEY: newKey } });
    expect(checked.err).toBe('');
    expect(checked.out).toContain(`LLM: azure ${host(azure)}, model gpt-4o: OK`);
  });

  it('no key of any endpoint reached a log line of the API or the worker', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join('');
    for (const key of [INSTALLATION_KEY, OWN_KEY, OWN_KEY_ROTATED, AZURE_KEY]) expect(log).not.toContain(key);
  });
});
