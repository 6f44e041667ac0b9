import type { Readable } from 'node:stream';
import { addHistory, type Db, type HistoryTicket } from '@ai-agents/db';
import { stripBoilerplate } from '@ai-agents/shared';
import { parse } from 'csv-parse';

export interface CsvImportResult {
  imported: number;
  /** Data lines (1 = the first line after the header) without an id or any text. */
  skippedLines: number[];
}

// Rows per transaction: large enough that the index triggers work in bulk, small enough that one
// transaction does not hold the tenant's index lock for long.
const BATCH_SIZE = 1_000;
// A subject longer than this is a description someone typed into the subject line.
const SUBJECT_MAX_CHARS = 120;

/**
 * Imports resolved tickets from CSV into a tenant's history. Columns: `id` and either `text` (subject
 * and body in one) or `subject`/`description`; optional `resolution`, `category`, `technician`,
 * `resolved_at`. Rows with an existing id are updated. The same path feeds `admin history import
 * --csv` and `eval:retrieval`, so the evaluation measures what the product indexes. Text and
 * resolution lose their e-mail boilerplate (stripBoilerplate) as the worker's queries do, unless
 * `strip` is false (`eval:retrieval --no-strip`, to measure what stripping changes).
 */
export async function importHistoryCsv(
  db: Db,
  tenantId: string,
  input: Readable,
  options: { onProgress?: (imported: number) => void; strip?: boolean } = {},
): Promise<CsvImportResult> {
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map(normaliseHeader),
      bom: true,
      skip_empty_lines: true,
      trim: true,
    }),
  );
  const skippedLines: number[] = [];
  let imported = 0;
  let line = 0;
  let checkedHeader = false;
  // Keyed by id: a batch must not upsert one id twice (Postgres refuses that in one statement).
  let batch = new Map<string, HistoryTicket>();
  const flush = async () => {
    if (batch.size === 0) return;
    const tickets = [...batch.values()];
    batch = new Map();
    await addHistory({ db: db, tenantId: tenantId }, tickets);
    imported += tickets.length;
    options.onProgress?.(imported);
  };
  for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
    line++;
    if (!checkedHeader) {
      checkHeader(Object.keys(record));
      checkedHeader = true;
    }
    const ticket = csvRowToTicket(record, options.strip ?? true);
    if (!ticket) {
      skippedLines.push(line);
      continue;
    }
    batch.set(ticket.externalId, ticket);
    if (batch.size >= BATCH_SIZE) await flush();
  }
  await flush();
  return { imported, skippedLines };
}

function normaliseHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

function checkHeader(columns: string[]): void {
  if (!columns.includes('id')) throw new CsvFormatError('the CSV has no "id" column');
  if (!columns.includes('text') && !columns.includes('subject') && !columns.includes('description'))
    throw new CsvFormatError('the CSV needs a "text" column (or "subject"/"description")');
}

/** One CSV record as a history ticket; null when it has no id or no text at all. */
export function csvRowToTicket(
  record: Record<string, string | undefined>,
  strip = true,
): HistoryTicket | null {
  const id = record.id?.trim();
  if (!id) return null;
  const clean = (text: string | undefined) => (strip ? stripBoilerplate(text ?? '') : (text?.trim() ?? ''));
  let subject = record.subject?.trim() ?? '';
  let description = clean(record.description);
  // Without a subject column the subject comes out of the text (or the description) itself.
  if (!subject) ({ subject, description } = splitText(description || clean(record.text)));
  if (!subject) return null;
  const resolvedAt = record.resolved_at ? new Date(record.resolved_at) : null;
  return {
    externalId: id,
    subject,
    description,
    resolution: clean(record.resolution),
    category: record.category?.trim() || null,
    technician: record.technician?.trim() || null,
    resolvedAt: resolvedAt && !Number.isNaN(resolvedAt.getTime()) ? resolvedAt : null,
  };
}

/**
 * A `text` column holds subject and body together. The subject is its first line, or, for one-line
 * text, its first words up to SUBJECT_MAX_CHARS; the description is the rest. Nothing is repeated,
 * so subject + description index exactly the words of the text.
 */
export function splitText(text: string): { subject: string; description: string } {
  const newline = text.indexOf('\n');
  if (newline > 0 && newline <= SUBJECT_MAX_CHARS)
    return { subject: text.slice(0, newline).trim(), description: text.slice(newline + 1).trim() };
  if (text.length <= SUBJECT_MAX_CHARS) return { subject: text, description: '' };
  const cut = text.lastIndexOf(' ', SUBJECT_MAX_CHARS);
  const at = cut > 0 ? cut : SUBJECT_MAX_CHARS;
  return { subject: text.slice(0, at).trim(), description: text.slice(at).trim() };
}
