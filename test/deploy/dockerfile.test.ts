import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoPath } from './repo.js';

/**
 * No Docker engine runs where the tests run, so the image definition is checked by reading it: the
 * stages, the runtime user and command, and that everything it copies exists in the repository (or is
 * produced by `npm run build`, which `npm test` runs first) and is not excluded by .dockerignore.
 */

interface Instruction {
  stage: string;
  keyword: string;
  args: string;
}

function parseDockerfile(text: string): { stages: Map<string, string>; instructions: Instruction[] } {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = new Map<string, string>();
  const instructions: Instruction[] = [];
  let stage = '';
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(\S+)\s+AS\s+(\S+)$/i.exec(args);
      if (!match?.[1] || !match[2]) throw new Error(`FROM without a stage name: ${line}`);
      stage = match[2];
      stages.set(stage, match[1]);
    }
    instructions.push({ stage, keyword: keyword.toUpperCase(), args });
  }
  return { stages, instructions };
}

const dockerfile = parseDockerfile(readRepoFile('docker/Dockerfile'));
const inStage = (stage: string) => dockerfile.instructions.filter((i) => i.stage === stage);

/** The stages a target is built from, itself first. */
function lineage(stage: string): string[] {
  const base = dockerfile.stages.get(stage);
  return base && dockerfile.stages.has(base) ? [stage, ...lineage(base)] : [stage];
}

/** The last value of an instruction that a target inherits (CMD, USER, HEALTHCHECK). */
function effective(target: string, keyword: string): string | undefined {
  for (const stage of lineage(target)) {
    const found = inStage(stage).filter((i) => i.keyword === keyword);
    if (found.length > 0) return found[found.length - 1]?.args;
  }
  return undefined;
}

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
    const build = inStage('build').map((i) => `${i.keyword} ${i.args}`);
    expect(build).toContain('COPY package.json package-lock.json ./');
    expect(build.some((l) => /^RUN npm ci\b/.test(l) && !l.includes('--omit=dev'))).toBe(true);
    expect(build).toContain('RUN npx tsc -b packages/sandbox apps/migrate apps/api apps/worker');
    const deps = inStage('prod-deps').map((i) => `${i.keyword} ${i.args}`);
    expect(deps.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
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
    ['worker', 'apps/worker/dist/main.js', []],
    ['migrate', 'apps/migrate/dist/main.js', []],
    ['sandbox', 'packages/sandbox/dist/serve.js', []],
  ])('target %s runs node %s as uid 10001 in production mode', (target, entry, flags) => {
    expect(dockerfile.stages.has(target)).toBe(true);
    expect(JSON.parse(effective(target, 'CMD') ?? '[]')).toEqual(['node', ...flags, entry]);
    expect(effective(target, 'USER')).toMatch(/^10001(:10001)?$/);
    expect(lineage(target)).toContain('runtime');
    expect(inStage('runtime').some((i) => i.keyword === 'ENV' && /NODE_ENV=production/.test(i.args))).toBe(
      true,
    );
    // The entry point exists after `npm run build` (npm test builds before it runs the tests).
    expect(existsSync(repoPath(entry)), `${entry} is built`).toBe(true);
  });

  it('gives the api a HEALTHCHECK on /health and ships the admin CLI in it', () => {
    expect(effective('api', 'HEALTHCHECK')).toMatch(
      /CMD \["node", "docker\/healthcheck\.mjs", ".*\/health"\]/,
    );
    expect(effective('worker', 'HEALTHCHECK')).toMatch(/\/health"\]$/);
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
    // Every workspace's manifest is copied before npm ci, or npm ci fails on a missing workspace.
    const rootManifest = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
    for (const workspace of rootManifest.workspaces) {
      expect(sources).toContain(`${workspace}/package.json`);
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
