import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('admin CLI modules', () => {
  it('loads what only some commands need when one of them runs, not at start (main.ts says why)', () => {
    // The module loader's own record of what the built CLI resolved as it loaded (`npm test` builds first).
    const main = join(process.cwd(), 'apps/api/dist/admin/main.js');
    const script = `import { registerHooks } from 'node:module';
const urls = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });
await import(${JSON.stringify(main)});
console.log(JSON.stringify(urls));`;
    const urls: string[] = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    );
    expect(urls.some((url) => url.includes('/commander/'))).toBe(true);
    const heavy = [
      '/node_modules/bullmq/',
      '/node_modules/ioredis/',
      '/node_modules/openai/',
      '/node_modules/csv-parse/',
      '/packages/retrieval/',
    ];
    expect(heavy.filter((dir) => urls.some((url) => url.includes(dir)))).toEqual([]);
  });
});
