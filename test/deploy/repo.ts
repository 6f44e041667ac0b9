import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Helpers for the deployment tests: files are read from the repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function repoPath(relative: string): string {
  return `${ROOT}${relative}`;
}

export function readRepoFile(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

/** YAML with anchors and `<<` merge keys resolved, as Docker Compose reads it. */
export function readYaml(relative: string): unknown {
  return parse(readRepoFile(relative), { merge: true });
}
