// Writes a copy of a labelled CSV (columns id,text,topic_group) whose texts carry e-mail boilerplate,
// as tickets opened by e-mail do: each row's text followed by the signature, disclaimer, mobile
// footer and quoted reply of one e-mail of the corpus in packages/shared/src/text/__fixtures__/
// boilerplate (row i takes e-mail i modulo their number; what follows the expected text of that
// e-mail). To measure what stripping recovers (docs/context.md):
//   node scripts/boilerplate-csv.mjs ../shared/datasets/it-tickets/dev.csv > /tmp/dev-mail.csv
//   npm run eval:retrieval -- --csv /tmp/dev-mail.csv [--no-strip]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'packages/shared/src/text/__fixtures__/boilerplate');
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/boilerplate-csv.mjs FILE.csv > OUT.csv\n');
  process.exit(2);
}

// The boilerplate of each e-mail that has some: its text after the part that must remain.
const tails = readdirSync(dir)
  .filter((f) => f.endsWith('.eml.txt') && !f.startsWith('keep-') && !f.startsWith('inline-'))
  .sort()
  .map((f) => {
    const mail = readFileSync(join(dir, f), 'utf8');
    const kept = readFileSync(join(dir, f.replace('.eml.txt', '.expected.txt')), 'utf8').trimEnd();
    return mail.slice(mail.indexOf(kept) + kept.length).trim();
  });

const quote = (value) => `"${String(value).replaceAll('"', '""')}"`;
const rows = parse(readFileSync(file), { columns: true, bom: true, skip_empty_lines: true });
const columns = Object.keys(rows[0] ?? {});
const lines = [columns.join(',')];
for (const [i, row] of rows.entries()) {
  const text = `${row.text}\n\n${tails[i % tails.length]}`;
  lines.push(columns.map((c) => quote(c === 'text' ? text : row[c])).join(','));
}
process.stdout.write(`${lines.join('\n')}\n`);
