import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answers, findOrStartServices, testServiceSettings } from './test-services.js';
import { freePort, TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL } from './testing.js';

// The fast paths of the test services: a given URL is used as it is, and a local server that answers
// is used instead of a container. (Starting containers is proven by scripts/test-containers.sh, with
// nothing answering, on Docker or Podman.)

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listening(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

describe('test services', () => {
  it('uses the URLs it is given without looking anywhere else', async () => {
    const closed = await freePort();
    const services = await findOrStartServices({
      databaseUrl: `postgres://postgres@127.0.0.1:${closed}/postgres`,
      redisUrl: `redis://127.0.0.1:${closed}`,
      postgresImage: 'no-such-image:0',
      redisImage: 'no-such-image:0',
    });
    expect(services).toMatchObject({
      databaseUrl: `postgres://postgres@127.0.0.1:${closed}/postgres`,
      redisUrl: `redis://127.0.0.1:${closed}`,
      started: [],
    });
  });

  it('uses the local servers when they answer, and starts nothing', async () => {
    const [pgPort, redisPort] = [await listening(), await listening()];
    const services = await findOrStartServices({
      localDatabaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
      localRedisUrl: `redis://127.0.0.1:${redisPort}`,
      postgresImage: 'no-such-image:0',
      redisImage: 'no-such-image:0',
    });
    expect(services.databaseUrl).toBe(`postgres://postgres@127.0.0.1:${pgPort}/postgres`);
    expect(services.redisUrl).toBe(`redis://127.0.0.1:${redisPort}`);
    expect(services.started).toEqual([]);
  });

  it('tells a port where something listens from one where nothing does', async () => {
    expect(await answers(`redis://127.0.0.1:${await listening()}`)).toBe(true);
    expect(await answers(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`)).toBe(false);
  });

  it('hands every test file the servers the global setup found', async () => {
    // vitest's global setup set both; they answer, and the settings read them back.
    expect(testServiceSettings(process.env)).toMatchObject({
      databaseUrl: TEST_ADMIN_DATABASE_URL,
      redisUrl: TEST_REDIS_URL,
    });
    expect(await answers(TEST_ADMIN_DATABASE_URL)).toBe(true);
    expect(await answers(TEST_REDIS_URL)).toBe(true);
  });
});
