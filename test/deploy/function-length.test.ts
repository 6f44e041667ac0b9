import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { functionLengths, longFunctions, measuredFiles } from './function-length.js';
import { ROOT } from './repo.js';

// A function of this many lines no longer reads as one screenful: split it into named steps.
const MAX_LINES = 80;

// Nothing is excused today. An entry ("<file> <function>") excuses exactly that function while it is
// being split; the second test fails once it is short enough, so entries cannot outlive their reason.
const ALLOWED_FOR_NOW: string[] = [];

const key = (f: { file: string; name: string }) => `${f.file} ${f.name}`;

describe('function length', () => {
  const long = longFunctions(ROOT, MAX_LINES);

  it(`no function in apps/ or packages/ is ${MAX_LINES} lines or longer`, () => {
    const offenders = long.filter((f) => !ALLOWED_FOR_NOW.includes(key(f)));
    expect(offenders.map((f) => `${f.where}: ${f.lines} lines`)).toEqual([]);
  });

  it('the allow-list names only functions that are still too long', () => {
    const stillLong = new Set(long.map(key));
    expect(ALLOWED_FOR_NOW.filter((entry) => !stillLong.has(entry))).toEqual([]);
  });

  describe('the measurement itself', () => {
    const tree = mkdtempSync(join(tmpdir(), 'function-length-'));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    const write = (path: string, content: string) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
    };
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');

    it('measures the sources of apps and packages, not tests, declarations, build output or the demo scripts', () => {
      for (const file of [
        'apps/api/src/app.ts',
        'apps/api/src/routes/feedback.ts',
        'apps/api/src/app.test.ts',
        'apps/api/src/types.d.ts',
        'apps/api/dist/app.ts',
        'apps/api/test/helper.ts',
        'packages/sandbox/src/demo.ts',
        'packages/sandbox/src/demo-tickets.ts',
        'packages/sandbox/src/chaos.ts',
        'packages/sandbox/src/fake-llm/fake-llm.ts',
        'bench/src/main.ts',
      ])
        write(file, '');
      expect(measuredFiles(tree)).toEqual([
        'apps/api/src/app.ts',
        'apps/api/src/routes/feedback.ts',
        'packages/sandbox/src/fake-llm/fake-llm.ts',
      ]);
    });

    it('counts every kind of function with the functions nested in it, from its first line to its last', () => {
      const text = [
        '/** A doc comment is not counted. */',
        'export function outer() {', // line 2
        body(3),
        '  const inner = () => {', // line 6
        body(2),
        '  };',
        '}', // line 10
        'const expr = function () {};',
        'const obj = { method() {\n  return 1;\n}, arrow: async () => 2 };',
        'class C {\n  constructor() {}\n  get x() {\n    return 1;\n  }\n}',
        'run(() => 3);',
      ].join('\n');
      expect(functionLengths('f.ts', text).map((f) => `${f.where}: ${f.lines}`)).toEqual([
        'f.ts:2 outer: 9',
        'f.ts:6 inner: 4',
        'f.ts:11 expr: 1',
        'f.ts:12 method: 3',
        'f.ts:14 arrow: 1',
        'f.ts:16 constructor: 1',
        'f.ts:17 x: 3',
        'f.ts:21 (anonymous): 1',
      ]);
    });

    it(`finds a function of ${MAX_LINES} lines and not one of ${MAX_LINES - 1}`, () => {
      write('packages/kit/src/long.ts', `export function long() {\n${body(MAX_LINES - 2)}\n}\n`);
      write('packages/kit/src/short.ts', `export const short = () => {\n${body(MAX_LINES - 3)}\n};\n`);
      expect(longFunctions(tree, MAX_LINES).map((f) => `${f.where}: ${f.lines}`)).toEqual([
        `packages/kit/src/long.ts:1 long: ${MAX_LINES}`,
      ]);
    });
  });
});
