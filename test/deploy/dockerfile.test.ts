import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  effectiveInstruction,
  imageCommand,
  parseDockerfile,
  stageInstructions,
  stageLineage,
} from '../../bench/src/dockerfile.js';
import { readRepoFile, repoPath } from './repo.js';

/**
 * The image definition checked by reading it (bench/src/dockerfile.ts, the parser the bench uses
 * too): the stages, the runtime user and command, and that everything it copies exists in the
 * repository (or is produced by `npm run build`, which `npm test` runs first) and is not excluded by
 * .dockerignore. `npm run test:images` (scripts/test-images.sh) builds and runs the images themselves.
 */

const dockerfile = parseDockerfile(readRepoFile('docker/Dockerfile'));
const inStage = (stage: string) => stageInstructions(dockerfile, stage);
const lineage = (stage: string) => stageLineage(dockerfile, stage);
const effective = (target: string, keyword: string) => effectiveInstruction(dockerfile, target, keyword);

const dockerignore = readRepoFile('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** Docker's rule: the last pattern that matches decides, and a `!` pattern re-includes. */
function ignored(path: string): boolean {
  let result = false;
  for (const line of dockerignore) {
    const negated = line.startsWith('!');
    const pattern = negated ? line.slice(1) : line;
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\0')
        .replace(/\*/g, '[^/]*')
        .replaceAll('\0', '(?:.*/)?')}(?:/.*)?$`,
    );
    if (regex.test(path)) result = !negated;
  }
  return result;
}

describe('docker/Dockerfile', () => {
  it('builds with npm ci from the lockfile, then installs production dependencies only', () => {
    const lines = (stage: string) => inStage(stage).map((i) => `${i.keyword} ${i.args}`);
    // One stage holds the manifests; the full install and the production install both start from it.
    expect(lines('manifests')).toContain('COPY package.json package-lock.json ./');
    expect(dockerfile.stages.get('build')).toBe('manifests');
    expect(dockerfile.stages.get('prod-deps')).toBe('manifests');
    const build = lines('build');
    expect(build.some((l) => /^RUN npm ci\b/.test(l) && !l.includes('--omit=dev'))).toBe(true);
    expect(build).toContain('RUN npx tsc -b packages/sandbox apps/migrate apps/api apps/worker');
    expect(lines('prod-deps').some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    // The runtime takes node_modules from prod-deps, never from the build stage with dev tools.
    const runtimeCopies = inStage('runtime').filter((i) => i.keyword === 'COPY');
    expect(runtimeCopies.some((i) => i.args === '--from=prod-deps /app/node_modules ./node_modules')).toBe(
      true,
    );
    expect(runtimeCopies.some((i) => /--from=build\s+\S*node_modules/.test(i.args))).toBe(false);
  });

  it('uses the current Node LTS for every stage', () => {
    const arg = dockerfile.instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toMatch(/^NODE_IMAGE=node:(2[4-9]|[3-9]\d)-/);
    for (const [stage, base] of dockerfile.stages) {
      expect([`\${NODE_IMAGE}`, ...dockerfile.stages.keys()], `stage ${stage}`).toContain(base);
    }
  });

  it.each([
    ['api', 'apps/api/dist/server.js', ['--max-semi-space-size=8']],
    ['worker', 'apps/worker/dist/main.js', ['--max-semi-space-size=8']],
    ['migrate', 'apps/migrate/dist/main.js', []],
    ['sandbox', 'packages/sandbox/dist/serve.js', []],
  ])('target %s runs node %s as uid 10001 in production mode', (target, entry, flags) => {
    expect(dockerfile.stages.has(target)).toBe(true);
    expect(imageCommand(dockerfile, target)).toEqual(['node', ...flags, entry]);
    expect(effective(target, 'USER')).toMatch(/^10001(:10001)?$/);
    expect(lineage(target)).toContain('runtime');
    expect(inStage('runtime').some((i) => i.keyword === 'ENV' && /NODE_ENV=production/.test(i.args))).toBe(
      true,
    );
    // The entry point exists after `npm run build` (npm test builds before it runs the tests).
    expect(existsSync(repoPath(entry)), `${entry} is built`).toBe(true);
  });

  it("runs the admin CLI started in the API image with the API's young generation (NODE_OPTIONS)", () => {
    // apps/api/test/admin-export.test.ts runs the CLI with this variable and bounds its memory.
    const options = inStage('api').find((i) => i.keyword === 'ENV' && i.args.startsWith('NODE_OPTIONS='));
    const flags = imageCommand(dockerfile, 'api').filter((arg) => arg.startsWith('--'));
    expect(options?.args).toBe(`NODE_OPTIONS=${flags.join(' ')}`);
  });

  it.each([
    ['api', '/health', 'PORT'],
    ['worker', '/health', 'WORKER_HTTP_PORT'],
    ['sandbox', '/_sandbox/calls', 'SANDBOX_SDP_PORT', 'SANDBOX_TLS_CERT_FILE'],
  ])(
    'gives the %s a HEALTHCHECK on %s that follows %s',
    (target, path, portVariable, tlsVariable?: string) => {
      const check = effective(target, 'HEALTHCHECK');
      const cmd = /\bCMD (\[.*\])$/.exec(check ?? '')?.[1];
      const [node, script, url, variable, tls] = JSON.parse(cmd ?? '[]') as string[];
      expect([node, script, variable, tls]).toEqual([
        'node',
        'docker/healthcheck.mjs',
        portVariable,
        tlsVariable,
      ]);
      expect(new URL(url ?? '').pathname).toBe(path);
    },
  );

  it('ships the admin CLI in the api image', () => {
    // The api target inherits apps/api/dist, which holds the admin CLI.
    expect(inStage('runtime').some((i) => i.args.includes('/app/apps/api/dist ./apps/api/dist'))).toBe(true);
    expect(existsSync(repoPath('apps/api/dist/admin/main.js'))).toBe(true);
  });

  it('ships the SQL migrations that apps/migrate applies at run time', () => {
    expect(inStage('runtime').some((i) => i.args === 'packages/db/drizzle ./packages/db/drizzle')).toBe(true);
    expect(readdirSync(repoPath('packages/db/drizzle')).some((f) => f.endsWith('.sql'))).toBe(true);
  });

  it('copies only paths that exist in the build context and are not .dockerignored', () => {
    const sources = dockerfile.instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(10);
    for (const source of sources) {
      expect(existsSync(repoPath(source)), `${source} exists`).toBe(true);
      expect(ignored(source), `${source} is not in .dockerignore`).toBe(false);
    }
    // Every workspace's manifest is copied (once) before npm ci, or npm ci fails on a missing workspace.
    const rootManifest = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
    for (const workspace of rootManifest.workspaces) {
      expect(sources.filter((s) => s === `${workspace}/package.json`)).toHaveLength(1);
      expect(statSync(repoPath(`${workspace}/package.json`)).isFile()).toBe(true);
    }
  });

  it('keeps the context small: dependencies, build output, git and secrets stay out', () => {
    for (const path of [
      'node_modules',
      'apps/api/node_modules',
      'apps/api/dist',
      '.git',
      '.env',
      '.env.prod',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['package-lock.json', 'apps/api/src/server.ts', 'packages/db/drizzle/0000_init.sql']) {
      expect(ignored(path), path).toBe(false);
    }
  });
});

describe('the Dockerfile parser (bench/src/dockerfile.ts)', () => {
  const sample = parseDockerfile(
    [
      'ARG BASE=node:24',
      'FROM $BASE AS base',
      'USER 10001',
      'HEALTHCHECK --interval=5s \\',
      '  # a comment inside the continued instruction',
      '  CMD ["node", "check.mjs"]',
      'CMD ["node", "a.js"]',
      '',
      'from base as child',
      'env A=1',
    ].join('\n'),
  );

  it('joins continued lines, drops comments, and names each instruction’s stage', () => {
    expect(sample.instructions.map((i) => [i.stage, i.keyword])).toEqual([
      ['', 'ARG'],
      ['base', 'FROM'],
      ['base', 'USER'],
      ['base', 'HEALTHCHECK'],
      ['base', 'CMD'],
      ['child', 'FROM'],
      ['child', 'ENV'],
    ]);
    expect(effectiveInstruction(sample, 'child', 'HEALTHCHECK')).toBe(
      '--interval=5s CMD ["node", "check.mjs"]',
    );
  });

  it('follows a stage to the stages it is built from', () => {
    expect(stageLineage(sample, 'child')).toEqual(['child', 'base']);
    expect(imageCommand(sample, 'child')).toEqual(['node', 'a.js']);
    expect(effectiveInstruction(sample, 'child', 'USER')).toBe('10001');
    expect(effectiveInstruction(sample, 'child', 'EXPOSE')).toBeUndefined();
  });

  it('refuses a FROM without a stage name and a CMD in shell form', () => {
    expect(() => parseDockerfile('FROM node:24\nCMD node a.js')).toThrow(/FROM without a stage name/);
    expect(() => imageCommand(parseDockerfile('FROM node:24 AS x\nCMD node a.js'), 'x')).toThrow();
  });
});
