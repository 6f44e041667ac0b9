import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoPath } from './repo.js';

// The docs are what operators copy. A secret typed on a command line shows in `ps` (for `docker
// run -e NAME=value`, in the docker client's arguments) and stays in shell history; the admin CLI
// refuses key flags for that reason, and the docs must not teach the same thing another way.

/** Names that hold a secret: SDP_TECHNICIAN_KEY, SDP_CLIENT_SECRET, ENCRYPTION_KEY, …_PASSWORD, …_TOKEN. */
const SECRET_NAME = '[A-Z_]*(?:KEYS?|SECRET|PASSWORD|TOKEN)';

const PATTERNS: ReadonlyArray<{ what: string; pattern: RegExp }> = [
  // docker/compose `-e NAME=value` or `--env NAME=value` (`-e NAME` alone passes the caller's environment).
  {
    what: 'a secret in -e/--env',
    pattern: new RegExp(String.raw`(?:^|\s)(?:-e|--env)[\s=]+${SECRET_NAME}=`),
  },
  // `NAME=literal command …`: a literal value in front of a command (a $variable is not in history).
  {
    what: 'a secret typed in front of a command',
    pattern: new RegExp(String.raw`(?:^|[\s;&|(])${SECRET_NAME}=(?!["']?\$)[^\s;&|]*\s+[\w./-]`),
  },
];

function markdownFiles(dir: string): string[] {
  return readdirSync(repoPath(dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const PAGES = ['README.md', ...markdownFiles('docs').sort()];

/** Each line of a page that shows a secret on a command line, as `page:line: what`. */
function secretsOnCommandLines(page: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const match = PATTERNS.find(({ pattern }) => pattern.test(line));
    if (match) found.push(`${page}:${i + 1}: ${match.what}: ${line.trim()}`);
  });
  return found;
}

describe('no doc puts a secret on a command line', () => {
  it.each(PAGES)('%s', (page) => {
    expect(secretsOnCommandLines(page, readRepoFile(page))).toEqual([]);
  });

  it('catches what the docs used to show, and lets the safe forms through', () => {
    const bad = [
      '  -e SDP_TECHNICIAN_KEY=... \\',
      'docker run --env OPENAI_API_KEY=sk-1 ai-agents/worker',
      'SDP_TECHNICIAN_KEY=... npm run admin -- tenant add --slug contoso',
      'REDIS_URL=... DATABASE_URL=... ENCRYPTION_KEY=... npm run admin -- jobs failed',
      'export X=1; SDP_CLIENT_SECRET=abc node apps/api/dist/admin/main.js tenant add',
    ];
    for (const line of bad) expect(secretsOnCommandLines('x.md', line), line).toHaveLength(1);
    const good = [
      'printf \'SDP_TECHNICIAN_KEY=%s\\n\' "$key" |',
      'pass show sdp/contoso | npm run admin -- tenant set-credentials contoso --stdin',
      'docker compose run --rm -T -e SDP_TECHNICIAN_KEY api node apps/api/dist/admin/main.js',
      'ENCRYPTION_KEY=',
      'SDP_TECHNICIAN_KEY="$KEY" npm run admin -- tenant add --slug contoso',
      'with `SDP_TECHNICIAN_KEY=sandbox-technician-key`, create a ticket',
      '| `ENCRYPTION_KEY` | api, worker | — (required) | 32 bytes base64 |',
    ];
    for (const line of good) expect(secretsOnCommandLines('x.md', line), line).toEqual([]);
  });

  it('shows the compose form with --stdin, and no terminal (-T) so the pipe reaches the command', () => {
    const deploying = readRepoFile('docs/deploying.md');
    expect(deploying).toMatch(
      /run --rm (?:--no-deps )?-T \\?\n?\s*api node apps\/api\/dist\/admin\/main\.js tenant add [^`]*--stdin/,
    );
  });
});
