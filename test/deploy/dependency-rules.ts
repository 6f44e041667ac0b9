import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * The layering the repository keeps: an app (apps/*) may depend on packages, never on another app;
 * a package (packages/*) never on an app. An app that imports another ships it in its image and
 * couples their releases; a package that imports an app turns the layering upside down. Checked
 * where a dependency can be declared or taken: package.json, tsconfig references and the import
 * specifiers of every source and test file.
 */

interface Workspace {
  dir: string;
  name: string;
  kind: 'app' | 'package' | 'other';
}

const SOURCE = /\.(c|m)?(t|j)sx?$/;
// `import x from 'y'`, `export … from 'y'`, `import 'y'`, `import('y')`, `require('y')`, `vi.mock('y')`:
// every way a file here names another module.
const SPECIFIERS = [
  /\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(?\s*['"]([^'"]+)['"]/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]/g,
  /\bvi\.mock\s*\(\s*['"]([^'"]+)['"]/g,
];

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function workspaces(root: string): Workspace[] {
  const dirs = (readJson(join(root, 'package.json')).workspaces as string[] | undefined) ?? [];
  return dirs.map((dir) => ({
    dir,
    name: String(readJson(join(root, dir, 'package.json')).name),
    kind: dir.startsWith('apps/') ? 'app' : dir.startsWith('packages/') ? 'package' : 'other',
  }));
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist') return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

/** The modules a file names, in the order they appear. */
export function importSpecifiers(text: string): string[] {
  return SPECIFIERS.flatMap((pattern) => [...text.matchAll(pattern)])
    .sort((a, b) => a.index - b.index)
    .map((m) => m[1] ?? '');
}

/** Every dependency of an app on another app, or of a package on an app, one line each. */
export function dependencyViolations(root: string): string[] {
  const all = workspaces(root);
  const apps = all.filter((w) => w.kind === 'app');
  const violations: string[] = [];

  for (const from of all.filter((w) => w.kind !== 'other')) {
    const forbidden = apps.filter((app) => app.dir !== from.dir);
    const rule = from.kind === 'app' ? 'an app depends on another app' : 'a package depends on an app';
    const byName = (specifier: string) =>
      forbidden.find((app) => specifier === app.name || specifier.startsWith(`${app.name}/`));
    const byPath = (path: string) =>
      forbidden.find((app) => {
        const inside = relative(resolve(root, app.dir), path);
        return !inside.startsWith('..') && !isAbsolute(inside);
      });

    const manifest = readJson(join(root, from.dir, 'package.json'));
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dependency of Object.keys((manifest[field] as Record<string, string> | undefined) ?? {})) {
        const app = byName(dependency);
        if (app) violations.push(`${from.dir}/package.json ${field}: ${dependency} (${rule})`);
      }
    }

    for (const config of readdirSync(join(root, from.dir)).filter((f) => /^tsconfig.*\.json$/.test(f))) {
      const references = (readJson(join(root, from.dir, config)).references as { path: string }[]) ?? [];
      for (const reference of references) {
        const app = byPath(resolve(root, from.dir, reference.path));
        if (app) violations.push(`${from.dir}/${config} references ${reference.path} (${rule})`);
      }
    }

    for (const file of sourceFiles(join(root, from.dir))) {
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        const app = specifier.startsWith('.') ? byPath(resolve(dirname(file), specifier)) : byName(specifier);
        if (app) violations.push(`${relative(root, file)} imports ${specifier} (${rule})`);
      }
    }
  }
  return violations;
}
