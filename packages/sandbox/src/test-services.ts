import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';

/**
 * Postgres and Redis for the integration tests (vitest's global setup, test/kit/global-setup.ts) and
 * for `npm run demo`, found or started once per run:
 *
 *   1. a URL given (TEST_DATABASE_URL / TEST_REDIS_URL for the tests, DATABASE_URL / REDIS_URL for the
 *      demo) is used as it is, never probed or replaced;
 *   2. otherwise the local default (127.0.0.1:5432 / 127.0.0.1:6379; TEST_LOCAL_DATABASE_URL /
 *      TEST_LOCAL_REDIS_URL move where this looks, e.g. for CI to prove the fallback) when something
 *      answers there: the fast path, as before;
 *   3. otherwise a container started with testcontainers on whatever Docker API answers (Docker, or
 *      Podman's `podman system service`, found through DOCKER_HOST as the testcontainers docs say),
 *      from TEST_POSTGRES_IMAGE (default postgres:15) and TEST_REDIS_IMAGE (default redis:7).
 *
 * The containers take the official images' settings only (POSTGRES_PASSWORD; PGDATA under the data
 * volume path, as the image's documentation advises for mounts), so a stand-in built under the same
 * name (scripts/test-containers.sh, where the official images cannot be pulled) must honour them too.
 * testcontainers is loaded only when a container is needed: the sandbox image does not carry it.
 */

export const DEFAULT_POSTGRES_IMAGE = 'postgres:15';
export const DEFAULT_REDIS_IMAGE = 'redis:7';
const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';
// A first start may build a container's layer copy on a slow storage driver; later ones take seconds.
const CONTAINER_START_TIMEOUT_MS = 180_000;
const PROBE_TIMEOUT_MS = 1_000;

export interface ServiceSettings {
  /** Used as given when set. */
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  /** Where to look when no URL is given; the local defaults otherwise. */
  localDatabaseUrl?: string | undefined;
  localRedisUrl?: string | undefined;
  postgresImage?: string | undefined;
  redisImage?: string | undefined;
  /** Progress lines ("starting postgres:15 with testcontainers"); never carries a secret. */
  say?: (line: string) => void;
}

export interface TestServices {
  /** A superuser connection to the `postgres` database. */
  databaseUrl: string;
  redisUrl: string;
  /** What was started here, e.g. ['postgres:15'], to stop with stop(); empty on the fast path. */
  started: string[];
  stop(): Promise<void>;
}

/** The settings of the test kit, from the TEST_* variables the kit has always read. */
export function testServiceSettings(env: NodeJS.ProcessEnv): ServiceSettings {
  return {
    databaseUrl: env.TEST_DATABASE_URL || undefined,
    redisUrl: env.TEST_REDIS_URL || undefined,
    localDatabaseUrl: env.TEST_LOCAL_DATABASE_URL || undefined,
    localRedisUrl: env.TEST_LOCAL_REDIS_URL || undefined,
    postgresImage: env.TEST_POSTGRES_IMAGE || undefined,
    redisImage: env.TEST_REDIS_IMAGE || undefined,
  };
}

export async function findOrStartServices(settings: ServiceSettings): Promise<TestServices> {
  const stops: Array<() => Promise<void>> = [];
  const started: string[] = [];
  const services: TestServices = {
    databaseUrl: '',
    redisUrl: '',
    started,
    async stop() {
      for (const stop of stops.splice(0).reverse()) await stop();
    },
  };
  try {
    services.databaseUrl = await findOrStart(
      settings.databaseUrl,
      settings.localDatabaseUrl ?? LOCAL_DATABASE_URL,
      () => startPostgres(settings.postgresImage ?? DEFAULT_POSTGRES_IMAGE, settings.say),
    );
    services.redisUrl = await findOrStart(settings.redisUrl, settings.localRedisUrl ?? LOCAL_REDIS_URL, () =>
      startRedis(settings.redisImage ?? DEFAULT_REDIS_IMAGE, settings.say),
    );
  } catch (error) {
    await services.stop();
    throw error;
  }
  return services;

  async function findOrStart(given: string | undefined, local: string, start: () => Promise<Started>) {
    if (given) return given;
    if (await answers(local)) return local;
    const container = await start();
    stops.push(container.stop);
    started.push(container.image);
    return container.url;
  }
}

interface Started {
  url: string;
  image: string;
  stop(): Promise<void>;
}

/** True when something accepts a TCP connection at the URL's host and port within a second. */
export async function answers(url: string): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  const defaultPort = protocol.startsWith('postgres') ? 5432 : 6379;
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort) });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function loadTestcontainers() {
  try {
    return await import('testcontainers');
  } catch {
    throw new Error(
      'Nothing answers where the tests look for Postgres or Redis, and testcontainers is not installed (npm ci installs it).',
    );
  }
}

async function startPostgres(image: string, say?: (line: string) => void): Promise<Started> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  say?.(`nothing answers for Postgres: starting ${image} with testcontainers`);
  const password = randomUUID();
  const container = await new GenericContainer(image)
    .withEnvironment({ POSTGRES_PASSWORD: password, PGDATA: '/var/lib/postgresql/data/pgdata' })
    // Throwaway data: in memory, and no fsync (the official image passes these flags to postgres).
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=200'])
    .withExposedPorts(5432)
    // The official image's first start runs a temporary server on the Unix socket only, then restarts
    // on TCP: a listening TCP port is the final server.
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(CONTAINER_START_TIMEOUT_MS)
    .start();
  const url = `postgres://postgres:${password}@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  await untilPostgresAnswers(url);
  return { url, image, stop: async () => void (await container.stop()) };
}

async function untilPostgresAnswers(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

async function startRedis(image: string, say?: (line: string) => void): Promise<Started> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  say?.(`nothing answers for Redis: starting ${image} with testcontainers`);
  const container = await new GenericContainer(image)
    // Throwaway data: no snapshots, whose failed background save would make Redis refuse writes
    // (stop-writes-on-bgsave-error); outside connections allowed, as the official image allows them.
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(CONTAINER_START_TIMEOUT_MS)
    .start();
  const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  return { url, image, stop: async () => void (await container.stop()) };
}
