import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readRepoFile } from './repo.js';

/**
 * Starts a real Caddy (Debian's `caddy` package; `.ci/run` installs it) on the production
 * docker/Caddyfile with only what cannot run in a test changed: no admin endpoint, plain HTTP at
 * `base` instead of a certificate for PUBLIC_HOSTNAME, and `upstreamPort` on 127.0.0.1 for `api:3000`.
 * `edit` changes the file further. Its working files go in `dir`.
 */
export async function startProductionCaddy(options: {
  dir: string;
  base: string;
  upstreamPort: number;
  edit?: (caddyfile: string) => string;
}): Promise<ChildProcess> {
  if (spawnSync('caddy', ['version']).status !== 0) {
    throw new Error('caddy is not installed (apt-get install caddy; .ci/run does it)');
  }
  const caddyfile = readRepoFile('docker/Caddyfile')
    .replace(/^\{\n/m, '{\n\tadmin off\n')
    .replace('reverse_proxy api:3000', `reverse_proxy 127.0.0.1:${options.upstreamPort}`);
  if (!caddyfile.includes('admin off')) throw new Error('docker/Caddyfile has no global options block');
  const path = join(options.dir, 'Caddyfile');
  await writeFile(path, options.edit ? options.edit(caddyfile) : caddyfile);
  return spawn('caddy', ['run', '--config', path, '--adapter', 'caddyfile'], {
    env: {
      PATH: process.env.PATH,
      HOME: options.dir,
      XDG_DATA_HOME: options.dir,
      XDG_CONFIG_HOME: options.dir,
      PUBLIC_HOSTNAME: options.base,
      ACME_EMAIL: 'ops@msp.example',
      CADDY_GLOBAL_OPTIONS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
