import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** Source files of the apps and packages (tests may import drizzle-orm as they like). */
function runtimeSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : runtimeSources(path);
    return entry.name.endsWith('.ts') && !/\.(test|d)\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('drizzle-orm is loaded through its CommonJS build (packages/db/src/orm.ts says why)', () => {
  it('no app or package takes a value from drizzle-orm but orm.ts', () => {
    const offenders = ['apps', 'packages']
      .flatMap((top) => readdirSync(join(ROOT, top)).map((name) => join(ROOT, top, name, 'src')))
      .flatMap((src) => {
        try {
          return runtimeSources(src);
        } catch {
          return [];
        }
      })
      .filter((file) => !file.endsWith('packages/db/src/orm.ts'))
      .filter((file) => /^import (?!type )[^;]*from 'drizzle-orm[^']*';/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });

  it('importing the built package loads no ES module of drizzle-orm', () => {
    // The module loader's own record of what it resolved, in a fresh process (`npm test` builds first).
    const script = `import { registerHooks } from 'node:module';
const urls = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });
await import('@ai-agents/db');
console.log(JSON.stringify(urls.filter((u) => u.includes('/node_modules/drizzle-orm/'))));`;
    const loaded: string[] = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
    );
    expect(loaded.length).toBeGreaterThan(50);
    expect(loaded.filter((url) => !url.endsWith('.cjs'))).toEqual([]);
  });
});
