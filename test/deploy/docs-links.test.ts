import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokenLinks, linkTargets } from './markdown-links.js';
import { readRepoFile, repoPath } from './repo.js';

// The README links to the pages in docs/, and they link to each other and to files of the repository.
// A moved file or a renamed heading breaks such a link silently on GitHub; this test makes it loud.

const PAGES = [
  'README.md',
  ...readdirSync(repoPath('docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
  ...readdirSync(repoPath('docs/runbooks'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/runbooks/${name}`),
];

const readFromRepo = (path: string): string | undefined => {
  if (!existsSync(repoPath(path))) return undefined;
  // Directories and binary files resolve as links; only Markdown is read for its headings.
  return path.endsWith('.md') ? readRepoFile(path) : '';
};

describe('documentation links', () => {
  it.each(PAGES)('every relative link in %s resolves, anchors included', (page) => {
    expect(brokenLinks(page, readRepoFile(page), readFromRepo)).toEqual([]);
  });

  it('the README links every page in docs/', () => {
    const linked = new Set(linkTargets(readRepoFile('README.md')).map((target) => target.split('#')[0]));
    // The runbooks are reached through docs/runbooks/README.md, which the README links.
    const pages = PAGES.filter((page) => /^docs\/[^/]+$/.test(page) || page === 'docs/runbooks/README.md');
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('finds a missing file, a missing heading and a link that leaves the repository', () => {
    const files: Record<string, string> = {
      'docs/a.md': '# A page\n\n## Set up: `npm ci` (once)\n\n## Set up: `npm ci` (once)\n',
    };
    const page = [
      'See [b](b.md), [a](a.md#set-up-npm-ci-once-1), [nothing](a.md#set-up-npm-ci-twice),',
      '[wrapped',
      'text](a.md#a-page), [up](../../etc/passwd) and [web](https://example.com/x.md#y).',
      '`[in code](missing.md)`',
      '```',
      '[in a block](missing.md)',
      '```',
    ].join('\n');
    expect(brokenLinks('docs/index.md', page, (path) => files[path])).toEqual([
      'b.md (no file docs/b.md)',
      'a.md#set-up-npm-ci-twice (no heading #set-up-npm-ci-twice in docs/a.md)',
      '../../etc/passwd (outside the repository)',
    ]);
  });
});
