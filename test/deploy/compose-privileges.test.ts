import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@ai-agents/sandbox';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suiteCanRun } from '../kit/needs-program.js';
import { readYaml } from './repo.js';

/**
 * The least privilege each container of docker-compose.prod.yml runs with. No container engine runs
 * here, so the file is read; the Redis command, the one part that runs without its image, is also run
 * for real with this machine's redis-server.
 */

interface Service {
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  user?: string;
  command?: string[];
}

const prod = readYaml('docker-compose.prod.yml') as { services: Record<string, Service> };

// What each official image's entrypoint needs before it drops to its user, and Caddy's port binding
// (the reasons are beside each service in the compose file).
const CAPABILITIES: Record<string, string[]> = {
  caddy: ['NET_BIND_SERVICE'],
  postgres: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
  redis: ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'],
};

/** The shell script of the Redis service, as the container's shell receives it ($$ is compose's $). */
function redisScript(): string {
  const command = prod.services.redis?.command ?? [];
  expect(command.slice(0, 2)).toEqual(['sh', '-c']);
  return (command[2] ?? '').replaceAll('$$', '$');
}

describe('docker-compose.prod.yml privileges', () => {
  it('drops every capability in every service, adds back only what its image needs, allows no new privileges', () => {
    for (const [name, service] of Object.entries(prod.services)) {
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect((service.cap_add ?? []).sort(), name).toEqual(CAPABILITIES[name] ?? []);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
    }
  });

  it('starts redis-server through the image entrypoint, which drops to the redis user, with no password in any argument', () => {
    const script = redisScript();
    // The entrypoint drops to the redis user only when redis-server is its first argument.
    expect(script).toMatch(/\|\s*exec docker-entrypoint\.sh redis-server - /);
    expect(script).not.toMatch(/^\s*exec redis-server|requirepass "?\$|--requirepass/);
    expect(prod.services.redis?.user).toBeUndefined();
  });
});

/** What Redis answers a PING from a client that sent no password, read off the wire. */
async function anonymousPing(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.write('PING\r\n');
  const [answer] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return answer.toString();
}

const PASSWORD = 'c0ffee5eed0123456789abcdef0123456789abcdef0123456789abcdef012345';
const installed = spawnSync('redis-server', ['--version']).status === 0;

describe('the Redis command, run by this machine’s redis-server', () => {
  if (
    !suiteCanRun(
      installed ? undefined : 'redis-server is not installed (.ci/run installs it)',
      'needs redis-server',
    )
  )
    return;
  let dir: string;
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ai-agents-redis-'));
    port = await freePort();
    // The image's entrypoint is not here: its part (chown, drop to the redis user) is left out; the
    // rest runs as written, on a free port and a directory of its own.
    const script = `${redisScript().replace('exec docker-entrypoint.sh redis-server', 'exec redis-server')} --port ${port} --bind 127.0.0.1 --dir ${dir}`;
    server = spawn('sh', ['-c', script], {
      env: { PATH: process.env.PATH, REDIS_PASSWORD: PASSWORD },
      stdio: 'ignore',
      // A group of its own: redis-server is the shell's child (the last command of a pipeline runs in
      // a subshell), and the group is stopped as one.
      detached: true,
    });
  });

  afterAll(async () => {
    if (server?.pid) process.kill(-server.pid, 'SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('requires the password, which no process shows on its command line', async () => {
    const client = (password?: string) => {
      const redis = new Redis({
        port,
        password,
        lazyConnect: true,
        enableReadyCheck: false,
        retryStrategy: () => null,
      });
      redis.on('error', () => {});
      return redis;
    };
    const authed = await waitFor(
      async () => {
        const redis = client(PASSWORD);
        return redis.connect().then(
          () => redis,
          () => undefined,
        );
      },
      10_000,
      'redis-server to start',
    );
    try {
      expect(await authed.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await anonymousPing(port)).toMatch(/^-NOAUTH/);
      const pid = /process_id:(\d+)/.exec(await authed.info('server'))?.[1];
      expect(pid).toBeDefined();
      for (const id of [String(server.pid), pid]) {
        const cmdline = await readFile(`/proc/${id}/cmdline`, 'utf8');
        expect(cmdline.replaceAll('\0', ' ')).toMatch(/^(sh|redis-server)/);
        expect(cmdline).not.toContain(PASSWORD);
      }
    } finally {
      authed.disconnect();
    }
  });
});
