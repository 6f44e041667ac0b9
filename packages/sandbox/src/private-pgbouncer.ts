import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitForPort } from './testing.js';

/**
 * A PgBouncer of the test's own on a free port, in front of the test Postgres, in
 * `pool_mode = transaction` and otherwise the stock settings of the Debian package (pool sizes,
 * no prepared-statement support in 1.18, startup parameters limited to the tracked ones). Every
 * database name is forwarded to the same-named database upstream (the `*` fallback entry).
 * Configuration reference: https://www.pgbouncer.org/config.html
 */
export interface PrivatePgbouncer {
  port: number;
  /** `url` (any Postgres URL of the upstream) pointed at the pooler instead, same user and database. */
  through(url: string): string;
  /** What PgBouncer wrote to stderr: its log. */
  output(): string;
  stop(): Promise<void>;
}

export interface PgbouncerUser {
  user: string;
  password: string;
}

/** The pgbouncer binary (Debian installs it in /usr/sbin, not always on a user's PATH), or null. */
export function findPgbouncer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'pgbouncer');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export async function startPrivatePgbouncer(options: {
  /** Any Postgres URL of the upstream server; only its host and port are used. */
  upstreamUrl: string;
  /** Users the clients log in as, with the passwords PgBouncer checks (and sends upstream). */
  users: PgbouncerUser[];
}): Promise<PrivatePgbouncer> {
  const binary = findPgbouncer();
  if (!binary) throw new Error('pgbouncer is not installed (Debian package: pgbouncer)');
  const upstream = new URL(options.upstreamUrl);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'ai-agents-pgbouncer-'));
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  await writeFile(
    join(dir, 'userlist.txt'),
    options.users.map((u) => `${quote(u.user)} ${quote(u.password)}\n`).join(''),
  );
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root (as CI and the development machines run): drop to nobody.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(dir, 0o755);
    await chmod(join(dir, 'userlist.txt'), 0o644);
    await chmod(join(dir, 'pgbouncer.ini'), 0o644);
  }
  let log = '';
  const child: ChildProcess = spawn(binary, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  // A test run cut short (a hook timeout, a crashed fork) must not leave the pooler behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  child.stderr?.on('data', (chunk: Buffer) => {
    // Bounded: the log is for failure messages, not a record of every connection.
    log = (log + chunk.toString()).slice(-64_000);
  });
  try {
    await waitForPort(port, 5_000);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`pgbouncer did not start: ${log || (error as Error).message}`);
  }
  return {
    port,
    through(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
