import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dependencyViolations, importSpecifiers } from './dependency-rules.js';
import { ROOT } from './repo.js';

describe('dependency rules', () => {
  it('no app depends on another app, and no package on an app', () => {
    expect(dependencyViolations(ROOT)).toEqual([]);
  });

  describe('the check itself', () => {
    const tree = mkdtempSync(join(tmpdir(), 'dependency-rules-'));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    const write = (path: string, content: unknown) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), typeof content === 'string' ? content : JSON.stringify(content));
    };

    it('names each way one app or a package reaches into another app, and nothing else', () => {
      write('package.json', { workspaces: ['packages/kit', 'apps/api', 'apps/worker', 'bench'] });
      write('packages/kit/package.json', { name: '@x/kit', devDependencies: { '@x/worker': '*' } });
      write('packages/kit/src/index.ts', "export { x } from '../../../apps/worker/src/x.js';\n");
      write('apps/worker/package.json', { name: '@x/worker', dependencies: { '@x/kit': '*' } });
      write('apps/worker/tsconfig.json', { references: [{ path: '../../packages/kit' }] });
      write('apps/worker/src/x.ts', "import { kit } from '@x/kit';\nimport { own } from './own.js';\n");
      write('apps/api/package.json', { name: '@x/api', dependencies: { '@x/worker': '*' } });
      write('apps/api/tsconfig.json', { references: [{ path: '../worker' }] });
      write(
        'apps/api/test/e2e.test.ts',
        "import {\n  startWorker,\n} from '@x/worker';\nvi.mock('@x/worker/metrics');\nconst m = await import('../../worker/src/x.js');\n",
      );
      // Not an app nor a package: free to start both.
      write('bench/package.json', { name: '@x/bench', devDependencies: { '@x/api': '*', '@x/worker': '*' } });
      write('bench/src/main.ts', "import { createApi } from '@x/api';\n");

      expect(dependencyViolations(tree)).toEqual([
        'packages/kit/package.json devDependencies: @x/worker (a package depends on an app)',
        'packages/kit/src/index.ts imports ../../../apps/worker/src/x.js (a package depends on an app)',
        'apps/api/package.json dependencies: @x/worker (an app depends on another app)',
        'apps/api/tsconfig.json references ../worker (an app depends on another app)',
        'apps/api/test/e2e.test.ts imports @x/worker (an app depends on another app)',
        'apps/api/test/e2e.test.ts imports @x/worker/metrics (an app depends on another app)',
        'apps/api/test/e2e.test.ts imports ../../worker/src/x.js (an app depends on another app)',
      ]);
    });
  });

  it('reads the specifiers of static, side-effect, dynamic and mocked imports', () => {
    expect(
      importSpecifiers(
        "import a from 'a';\nimport 'b';\nexport * from \"c\";\nawait import('d');\nrequire('e');\nvi.mock('f', () => ({}));",
      ),
    ).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
