import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVENTS_QUEUE } from './jobs.js';
import { tenantBacklogKey } from './tenant-backlog.js';
import {
  connectionKeyPatterns,
  escapeGlob,
  tenantKeyCatchAll,
  tenantKeyPatterns,
} from './tenant-redis-keys.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TENANT = '0b6f8a52-5d0e-4c61-9b0e-2f4d9c1a7e33';
const OTHER = '7d1e0c44-9a7b-4f0e-8c2d-5e6f7a8b9c0d';
const scope = { prefix: 'ai-agents', queueName: EVENTS_QUEUE, tenantId: TENANT };

/** Redis' glob as a RegExp (stringmatchlen: * any run, ? one character, \x the character x). */
function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\') source += (glob[++i] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const matchedBy = (key: string, patterns: string[]) => patterns.filter((p) => globRegExp(p).test(key));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const TENANT_EXPR = /^(?:[\w.]+\.)?(?:tenantId|tenant\.id|tenant\.tenantId)$|^tenant\.id$/;
/** A connection's id, as the code spells it (a tenant's id stands in when it has no connection known). */
const CONNECTION_EXPR = /(?:^|[\s.?])(?:connectionId|connection\.id)\b/;
const CONNECTION = '5c9e3a10-1f2b-4c3d-8e4f-6a7b8c9d0e1f';
const PREFIX_EXPR = /(?:prefix|Prefix)$/;

/**
 * Every Redis key the code builds for a tenant, as the code spells it: each template literal in a
 * source file that starts with a key prefix (`${…prefix}:` or `${…queueKey}:`) and interpolates a
 * tenant id, with the prefix, the queue and the tenant filled in and anything else as `x`. A key
 * composed in two steps (the feedback link's bucket under `ratelimit:`) is listed by hand below.
 */
function keysInSource(owner: RegExp = TENANT_EXPR, id = TENANT): { where: string; key: string }[] {
  const found: { where: string; key: string }[] = [];
  for (const top of ['apps', 'packages']) {
    for (const workspace of readdirSync(join(ROOT, top))) {
      const src = join(ROOT, top, workspace, 'src');
      let files: string[] = [];
      try {
        files = sourceFiles(src);
      } catch {
        continue;
      }
      for (const file of files) {
        for (const [literal] of readFileSync(file, 'utf8').matchAll(/`\$\{[^`]*`/g)) {
          const parts = [...literal.matchAll(/\$\{([^}]*)\}/g)].map((m) => (m[1] ?? '').trim());
          const [first] = parts;
          const keyed =
            first &&
            (PREFIX_EXPR.test(first) || first.endsWith('queueKey')) &&
            literal.startsWith(`\`\${${first}}:`);
          if (!keyed || !parts.some((p) => owner.test(p))) continue;
          const key = literal.slice(1, -1).replace(/\$\{([^}]*)\}/g, (_, expr: string) => {
            const e = expr.trim();
            if (owner.test(e)) return id;
            if (e.endsWith('queueKey')) return `${scope.prefix}:${scope.queueName}`;
            if (e === 'queueName') return scope.queueName;
            return PREFIX_EXPR.test(e) ? scope.prefix : 'x';
          });
          found.push({ where: relative(ROOT, file), key });
        }
      }
    }
  }
  return found;
}

describe('tenantKeyPatterns', () => {
  it('matches every tenant key the code builds, found in the source', () => {
    const keys = keysInSource();
    // The scan itself works: it finds the builders known today (a new one adds to these).
    expect(keys.map((k) => k.where)).toEqual(
      expect.arrayContaining([
        'packages/shared/src/tenant-backlog.ts',
        'apps/worker/src/fair-share/slot-leases.ts',
        'apps/worker/src/fair-share/tenant-breaker.ts',
        'apps/api/src/webhook/accept-delivery.ts',
      ]),
    );
    const patterns = tenantKeyPatterns(scope);
    expect(keys.filter(({ key }) => matchedBy(key, patterns).length === 0)).toEqual([]);
  });

  it("matches every connection key the code builds, and a tenant's own connection's with it", () => {
    const keys = keysInSource(CONNECTION_EXPR, CONNECTION);
    expect(keys.map((k) => k.where)).toEqual(
      expect.arrayContaining([
        'apps/worker/src/pipeline/sdp-rate-limit.ts',
        'apps/api/src/webhook/accept-connection-delivery.ts',
        'packages/servicedesk/src/tenant-clients.ts',
      ]),
    );
    const patterns = connectionKeyPatterns({ prefix: scope.prefix, connectionId: CONNECTION });
    expect(keys.filter(({ key }) => matchedBy(key, patterns).length === 0)).toEqual([]);
    // Erasing the only tenant of a connection takes the connection's keys; a shared one keeps them.
    const sdpBudget = `${scope.prefix}:ratelimit:sdp:${CONNECTION}`;
    expect(matchedBy(sdpBudget, tenantKeyPatterns({ ...scope, connectionId: CONNECTION }))).toHaveLength(1);
    expect(matchedBy(sdpBudget, tenantKeyPatterns(scope))).toHaveLength(0);
  });

  it('matches the keys built in two steps and by the shared builders', () => {
    // A tenant added by `tenant add` (or migrated) has a connection of its own, with its id.
    const patterns = tenantKeyPatterns({ ...scope, connectionId: TENANT });
    const keys = [
      tenantBacklogKey(scope.prefix, scope.queueName, TENANT),
      // apps/api/src/feedback/feedback-rate-limit.ts: `${prefix}:ratelimit:${bucket}` with the link's bucket.
      `${scope.prefix}:ratelimit:feedback-link:${TENANT}:e5`,
      // packages/servicedesk/src/token-store.ts: the token, its lock, mint count and hold under its prefix.
      ...['token', 'lock', 'mints', 'mint-hold'].map((k) => `${scope.prefix}:sdp-oauth:${TENANT}:c1:${k}`),
    ];
    expect(keys.filter((key) => matchedBy(key, patterns).length === 0)).toEqual([]);
  });

  it("never matches another tenant's keys or the queue's own, and the catch-all names only the tenant", () => {
    const patterns = tenantKeyPatterns(scope);
    for (const key of [
      tenantBacklogKey(scope.prefix, scope.queueName, OTHER),
      `${scope.prefix}:${scope.queueName}:fair:slots:${OTHER}`,
      `${scope.prefix}:${scope.queueName}:wait`,
      `${scope.prefix}:tenants:changed`,
      `other-install:ratelimit:sdp:${TENANT}`,
    ]) {
      expect({ key, matched: matchedBy(key, patterns) }).toEqual({ key, matched: [] });
    }
    const catchAll = globRegExp(tenantKeyCatchAll(scope));
    expect(catchAll.test(`${scope.prefix}:anything:new:${TENANT}:x`)).toBe(true);
    expect(catchAll.test(`${scope.prefix}:anything:new:${OTHER}`)).toBe(false);
  });

  it('matches a prefix with glob characters literally (a cluster hash tag, a bracket)', () => {
    expect(escapeGlob('{ai[1]*?}')).toBe('{ai\\[1\\]\\*\\?}');
    const tagged = tenantKeyPatterns({ ...scope, prefix: '{a*}', connectionId: TENANT });
    expect(matchedBy(`{a*}:ratelimit:sdp:${TENANT}`, tagged)).toHaveLength(1);
    expect(matchedBy(`{ab}:ratelimit:sdp:${TENANT}`, tagged)).toHaveLength(0);
  });
});
