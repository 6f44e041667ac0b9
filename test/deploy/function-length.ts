import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * How long the functions of the shipped code are. A function's length runs from its first line
 * (after its doc comment) to its last, and includes the functions nested in it: a 200-line plugin
 * is not made short by wrapping its body in closures. Tests, declarations and the sandbox's demo
 * and chaos scripts (operator tools, read top to bottom) are not measured.
 */

export interface FunctionLength {
  /** `path:line name`, the path from the repository root. */
  where: string;
  file: string;
  name: string;
  lines: number;
}

const MEASURED_ROOTS = ['apps', 'packages'];
const EXCLUDED = [/\.test\.ts$/, /\.d\.ts$/, /^packages\/sandbox\/src\/(demo|chaos)[^/]*$/];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist') return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return entry.endsWith('.ts') ? [path] : [];
  });
}

/** The measured files, relative to `root`: every .ts file under apps/<x>/src and packages/<x>/src. */
export function measuredFiles(root: string): string[] {
  return MEASURED_ROOTS.flatMap((top) => {
    const topDir = join(root, top);
    if (!existsSync(topDir)) return [];
    return readdirSync(topDir)
      .map((workspace) => join(topDir, workspace, 'src'))
      .filter((src) => existsSync(src))
      .flatMap(tsFiles);
  })
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((file) => !EXCLUDED.some((pattern) => pattern.test(file)))
    .sort();
}

type FunctionNode =
  | ts.FunctionDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.AccessorDeclaration;

function isFunction(node: ts.Node): node is FunctionNode {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** The name a reader would look for: its own, or the variable or property it is assigned to. */
function nameOf(node: FunctionNode, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText(source);
  return '(anonymous)';
}

/** Every function in one file's text, with its length in lines. */
export function functionLengths(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node) => {
    if (isFunction(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = nameOf(node, source);
      found.push({ where: `${file}:${first + 1} ${name}`, file, name, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The functions of `min` lines or more in the measured files under `root`, longest first. */
export function longFunctions(root: string, min: number): FunctionLength[] {
  return measuredFiles(root)
    .flatMap((file) => functionLengths(file, readFileSync(join(root, file), 'utf8')))
    .filter((f) => f.lines >= min)
    .sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
}
