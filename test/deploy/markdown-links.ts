import { dirname, join, normalize } from 'node:path';

/** Links and heading anchors of Markdown pages, as GitHub renders them (docs-links.test.ts). */

/** The text outside fenced code blocks, one string per line. */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push(line);
  }
  return lines;
}

/** The anchors GitHub gives a page's headings: its slugger, with repeated headings numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const text = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*~]/g, '')
      .toLowerCase();
    const slug = text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Targets of inline links and images, outside code blocks and code spans. */
export function linkTargets(markdown: string): string[] {
  // Paragraph text joined, so a link whose text wraps onto the next line is still one link.
  const text = proseLines(markdown)
    .join(' ')
    .replace(/`[^`]*`/g, '');
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
}

/** The relative links of one page that do not resolve: a missing file, or a heading the page lacks. */
export function brokenLinks(
  page: string,
  markdown: string,
  read: (path: string) => string | undefined,
): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
    const [path = '', anchor] = target.split('#', 2);
    const file = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)));
    if (file.startsWith('..')) {
      broken.push(`${target} (outside the repository)`);
      continue;
    }
    const content = read(file);
    if (content === undefined) {
      broken.push(`${target} (no file ${file})`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!file.endsWith('.md')) broken.push(`${target} (an anchor into a file that is not Markdown)`);
    else if (!headingAnchors(content).has(anchor))
      broken.push(`${target} (no heading #${anchor} in ${file})`);
  }
  return broken;
}
