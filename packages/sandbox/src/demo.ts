/**
 * `npm run demo`: the whole path on this machine. Migrates, starts the API and one worker as real
 * processes, the sandbox ServiceDesk Plus and fake LLM (or the real OpenAI API when OPENAI_API_KEY is
 * set), creates a demo tenant, sends one signed "request created" webhook, waits for the note, prints
 * it, and shuts everything down. `--keep-running` leaves the stack up and prints how to reach it.
 * `--edition cloud` runs it against a sandbox ServiceDesk Plus Cloud portal (Zoho OAuth, /app/<portal>
 * URLs, the request_note wrapper) instead of an on-premises one (technician key, the note wrapper).
 * `--edition msp` runs one ServiceDesk Plus MSP instance with two customers: one connection, a tenant
 * per customer, and one signed webhook endpoint (the connection's) for both (demo-msp.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addHistory, createDatabase, createTenant, ensureDatabase } from '@ai-agents/db';
import { createSecretBox, signWebhook } from '@ai-agents/shared';
import {
  addCustomerTicket,
  createDemoConnection,
  type DemoConnection,
  postConnectionWebhook,
  startDemoMspPortal,
} from './demo-msp.js';
import { DEMO_HISTORY, DEMO_TICKET } from './demo-tickets.js';
import type { MspAccount } from './fake-servicedesk/index.js';
import { startFakeLlm, startFakeServiceDesk } from './index.js';
import { findOrStartServices, testServiceSettings } from './test-services.js';
import {
  freePort,
  LOCAL_APP_PASSWORD,
  LOCAL_APP_ROLE,
  randomEncryptionKey,
  waitFor,
  withDatabase,
} from './testing.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const keepRunning = process.argv.includes('--keep-running');

type DemoEdition = 'onprem' | 'cloud' | 'msp';
function editionArg(argv: readonly string[]): DemoEdition {
  const index = argv.findIndex((a) => a === '--edition' || a.startsWith('--edition='));
  if (index === -1) return 'onprem';
  const given = argv[index]?.includes('=') ? argv[index]?.split('=')[1] : argv[index + 1];
  if (given === 'onprem' || given === 'cloud' || given === 'msp') return given;
  process.stderr.write(`[demo] --edition must be onprem, cloud or msp, got "${given ?? ''}"\n`);
  process.exit(2);
}
const edition = editionArg(process.argv.slice(2));
// Sandbox-only OAuth client of the demo's Cloud portal; not real credentials.
const DEMO_OAUTH = {
  clientId: '1000.DEMOCLIENT',
  clientSecret: 'demo-client-secret',
  refreshToken: '1000.demo-refresh-token',
};
const env = process.env;
const useOpenAi = Boolean(env.OPENAI_API_KEY);

const cleanups: Array<() => Promise<void> | void> = [];
let step = 'start';

function say(message: string): void {
  // The JSON line of --keep-running goes to stdout alone; progress goes to stderr.
  process.stderr.write(`[demo] ${message}\n`);
}

async function run<T>(name: string, fn: () => Promise<T>): Promise<T> {
  step = name;
  say(`${name}…`);
  return fn();
}

function startProcess(
  name: string,
  entry: string,
  childEnv: Record<string, string>,
): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: { PATH: env.PATH ?? '', ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  const keep = (chunk: Buffer) => {
    child.output.push(...chunk.toString().split('\n').filter(Boolean));
    if (child.output.length > 50) child.output.splice(0, child.output.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  cleanups.push(() => stopProcess(name, child));
  return child;
}

async function stopProcess(name: string, child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    say(`${name} did not stop within 15 s; killing it`);
    child.kill('SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

function lastLines(child: { output: string[] }): string {
  return child.output.slice(-10).join('\n    ');
}

function noteAsText(html: string): string {
  return html
    .replace(/<li>/g, '\n  - ')
    .replace(/<\/p>|<\/ol>|<\/ul>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(
      /&(quot|lt|gt|amp);/g,
      (_, name: string) => ({ quot: '"', lt: '<', gt: '>', amp: '&' })[name] ?? '',
    )
    .replace(/\n{2,}/g, '\n')
    .trim();
}

/** The note's first feedback link (its "Yes"), as a technician's browser would open it. */
function feedbackLink(html: string): string | undefined {
  const href = /href="([^"]*\/v1\/feedback\?[^"]*)"/.exec(html)?.[1];
  return href?.replaceAll('&amp;', '&');
}

const EDITION_NAMES: Record<DemoEdition, string> = {
  onprem: 'on-premises',
  cloud: 'Cloud',
  msp: 'MSP, two customers',
};

/** The single-portal demo's webhook: the tenant's own URL, signed with its secret. */
async function postTenantWebhook(
  apiUrl: string,
  slug: string,
  secret: string,
  request: { id: string },
): Promise<string> {
  const body = JSON.stringify({
    event: 'request.created',
    request: { id: request.id, subject: DEMO_TICKET.subject },
  });
  const res = await fetch(`${apiUrl}/v1/webhooks/servicedesk/${slug}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(secret, body) },
    body,
  });
  const answer = await res.text();
  if (res.status !== 202) throw new Error(`the API answered ${res.status}: ${answer}`);
  return answer;
}

async function shutdown(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
}

/**
 * DATABASE_URL / REDIS_URL when given; else the local servers when they answer; else Postgres and
 * Redis containers started with testcontainers (test-services.ts, the images the tests use), stopped
 * when the demo ends: a newcomer with Node and a container engine needs nothing else.
 */
async function findServices(): Promise<{ databaseUrl: string; redisUrl: string }> {
  const services = await findOrStartServices({
    ...testServiceSettings(env),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    say,
  });
  cleanups.push(() => services.stop());
  const databaseUrl = env.DATABASE_URL ?? withDatabase(services.databaseUrl, 'ai_agents_demo');
  return { databaseUrl, redisUrl: services.redisUrl };
}

async function main(): Promise<void> {
  const { databaseUrl, redisUrl } = await run('finding Postgres and Redis', findServices);
  const databaseName = new URL(databaseUrl).pathname.slice(1) || 'ai_agents_demo';
  const ownerUrl = withDatabase(databaseUrl, databaseName);
  const appUrl = withDatabase(databaseUrl, databaseName, {
    user: LOCAL_APP_ROLE,
    password: LOCAL_APP_PASSWORD,
  });
  const encryptionKey = env.ENCRYPTION_KEY ?? randomEncryptionKey();

  await run(`creating database ${databaseName} if it does not exist`, () =>
    ensureDatabase(withDatabase(databaseUrl, 'postgres'), databaseName),
  );

  await run('applying migrations (apps/migrate)', async () => {
    const migrate = startProcess('migrate', 'apps/migrate/dist/main.js', {
      DATABASE_URL: ownerUrl,
      APP_DB_ROLE: LOCAL_APP_ROLE,
      APP_DB_PASSWORD: LOCAL_APP_PASSWORD,
      LOG_LEVEL: 'warn',
    });
    const code = await new Promise<number | null>((resolve) => migrate.once('exit', resolve));
    if (code !== 0) throw new Error(`migrate exited with ${code}:\n    ${lastLines(migrate)}`);
  });

  let mspAccounts: MspAccount[] = [];
  const sdp = await run(`starting the sandbox ServiceDesk Plus (${EDITION_NAMES[edition]})`, async () => {
    if (edition === 'msp') {
      const portal = await startDemoMspPortal();
      cleanups.push(() => portal.sdp.close());
      mspAccounts = portal.accounts;
      return portal.sdp;
    }
    const server = await startFakeServiceDesk(
      edition === 'cloud'
        ? { edition: 'cloud', oauth: DEMO_OAUTH }
        : { edition: 'onprem', technicianKeys: ['demo-technician-key'] },
    );
    cleanups.push(() => server.close());
    return server;
  });
  const sdpBaseUrl = edition === 'cloud' ? `${sdp.url}/app/itdesk` : sdp.url;

  const llmUrl = useOpenAi
    ? undefined
    : await run('starting the fake LLM (set OPENAI_API_KEY to use the OpenAI API)', async () => {
        const server = await startFakeLlm();
        cleanups.push(() => server.close());
        return server.url;
      });

  let connection: DemoConnection | undefined;
  const { slug, secret } = await run(
    edition === 'msp'
      ? 'creating a connection for the MSP instance and a tenant per customer, each with its own history'
      : 'creating a demo tenant with resolved ticket history',
    async () => {
      const database = createDatabase({ url: appUrl, max: 2 });
      try {
        if (edition === 'msp') {
          connection = await createDemoConnection(
            database,
            createSecretBox(encryptionKey),
            sdpBaseUrl,
            mspAccounts,
          );
          return { slug: connection.slug, secret: connection.secret };
        }
        const demoSlug = `demo-${Math.random().toString(36).slice(2, 8)}`;
        const created = await createTenant(database.db, createSecretBox(encryptionKey), {
          slug: demoSlug,
          name: 'Contoso (demo)',
          sdpBaseUrl,
          ...(edition === 'cloud'
            ? {
                sdpAuthType: 'cloud' as const,
                sdpCredentials: { type: 'cloud' as const, ...DEMO_OAUTH, accountsUrl: sdp.accountsUrl },
              }
            : {
                sdpAuthType: 'onprem' as const,
                sdpCredentials: { type: 'onprem' as const, technicianKey: 'demo-technician-key' },
              }),
          actor: 'demo',
        });
        if (created.outcome !== 'created') throw new Error(`demo tenant ${demoSlug} already exists`);
        const { tenant, webhookSecret } = created;
        await addHistory({ db: database.db, tenantId: tenant.id }, DEMO_HISTORY);
        return { slug: demoSlug, secret: webhookSecret };
      } finally {
        await database.close();
      }
    },
  );

  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const serviceEnv: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    DATABASE_URL: appUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `ai-agents-demo-${slug}`,
    ENCRYPTION_KEY: encryptionKey,
    // The note's feedback links point here: this demo's own API, not the default localhost:3000.
    PUBLIC_BASE_URL: apiUrl,
  };

  const api = await run(`starting the API on ${apiUrl}`, async () => {
    const child = startProcess('api', 'apps/api/dist/server.js', {
      ...serviceEnv,
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`the API exited with ${child.exitCode}:\n    ${lastLines(child)}`);
        const res = await fetch(`${apiUrl}/ready`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      20_000,
      'the API to report ready',
    );
    return child;
  });

  const workerUrl = `http://127.0.0.1:${await freePort()}`;
  const worker = await run(`starting one worker (health and metrics on ${workerUrl})`, async () => {
    const child = startProcess('worker', 'apps/worker/dist/main.js', {
      ...serviceEnv,
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_HTTP_PORT: new URL(workerUrl).port,
      OPENAI_API_KEY: env.OPENAI_API_KEY ?? 'sandbox',
      ...(llmUrl
        ? { OPENAI_BASE_URL: llmUrl }
        : env.OPENAI_BASE_URL
          ? { OPENAI_BASE_URL: env.OPENAI_BASE_URL }
          : {}),
      ...(env.LLM_MODEL ? { LLM_MODEL: env.LLM_MODEL } : {}),
      WORKER_CONCURRENCY: '10',
    });
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode !== null)
      throw new Error(`the worker exited with ${child.exitCode}:\n    ${lastLines(child)}`);
    return child;
  });

  const posted: { requestId: string; label: string }[] = [];
  if (connection) {
    for (const { tenant, account } of connection.customers) {
      const request = addCustomerTicket(sdp, account);
      await run(
        `sending a signed request.created webhook for ${account.name}'s request ${request.id} (account ${account.id}) to the connection's one URL`,
        async () =>
          say(
            `  API answered 202 ${await postConnectionWebhook(apiUrl, connection as DemoConnection, request, account)}`,
          ),
      );
      posted.push({ requestId: request.id, label: `${account.name}, tenant ${tenant}` });
    }
  } else {
    const request = sdp.addRequest(DEMO_TICKET);
    await run(
      `sending a signed request.created webhook for request ${request.id} ("${DEMO_TICKET.subject}")`,
      async () => say(`  API answered 202 ${await postTenantWebhook(apiUrl, slug, secret, request)}`),
    );
    posted.push({ requestId: request.id, label: `${EDITION_NAMES[edition]} portal` });
  }

  let note: { description: string } | undefined;
  for (const { requestId, label } of posted) {
    const found = await run(`waiting for the note on request ${requestId}`, () =>
      waitFor(
        () => {
          if (worker.exitCode !== null)
            throw new Error(`the worker exited with ${worker.exitCode}:\n    ${lastLines(worker)}`);
          return sdp.notes(requestId)[0];
        },
        useOpenAi ? 120_000 : 30_000,
        'the note to be posted',
      ),
    );
    process.stderr.write(
      `\n── Internal note posted on request ${requestId} (${label}, show_to_requester: ${found.show_to_requester}) ──\n${noteAsText(found.description)}\n\n`,
    );
    note ??= found;
  }
  if (!note) throw new Error('no note was posted');
  const feedback = feedbackLink(note.description);
  if (feedback) say(`the note's "helpful? Yes" link, served by this demo's API: ${feedback}`);

  if (keepRunning) {
    process.stdout.write(
      `${JSON.stringify({ api_url: apiUrl, worker_url: workerUrl, tenant: slug, webhook_secret: secret, sdp_url: sdpBaseUrl, edition, llm_url: llmUrl ?? null })}\n`,
    );
    say('stack is up; press Ctrl-C (SIGINT) or send SIGTERM to stop');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  }
  void api;
  await run('shutting down', shutdown);
  say('done');
}

try {
  await main();
} catch (error) {
  say(`FAILED at step "${step}": ${(error as Error).message}`);
  await shutdown().catch(() => {});
  process.exitCode = 1;
}
