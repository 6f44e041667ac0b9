import { HttpError } from '../errors.js';

export interface FeedbackFields {
  token?: string;
  tenant?: string;
  enhancementId?: string;
  helpful: boolean;
  comment: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_COMMENT_CHARS = 2_000;

const invalid = (field: string, message: string) =>
  new HttpError(422, 'invalid_feedback', `${field} ${message}`);

/** The body as an object: JSON from scripts, form fields from the note's feedback page. */
export function parseFeedbackBody(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed_json', 'Body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

function helpfulOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  // Form posts send strings.
  if (value === 'yes' || value === 'true') return true;
  if (value === 'no' || value === 'false') return false;
  return undefined;
}

/** Validates the fields after authentication; names the first field that is wrong (422). */
export function readFeedbackFields(body: Record<string, unknown>, mode: 'link' | 'signed'): FeedbackFields {
  const helpful = helpfulOf(body.helpful);
  if (helpful === undefined) throw invalid('helpful', 'is required: true or false ("yes"/"no" in forms)');
  const { comment } = body;
  if (comment !== undefined && comment !== null && typeof comment !== 'string')
    throw invalid('comment', 'must be a string');
  if (typeof comment === 'string' && comment.length > MAX_COMMENT_CHARS)
    throw invalid('comment', `must be at most ${MAX_COMMENT_CHARS} characters`);
  const fields: FeedbackFields = {
    helpful,
    comment: typeof comment === 'string' && comment.trim() ? comment : null,
  };
  if (mode === 'signed') {
    const id = body.enhancement_id;
    if (typeof id !== 'string' || !UUID.test(id))
      throw invalid('enhancement_id', 'is required and must be a UUID');
    fields.enhancementId = id.toLowerCase();
  }
  return fields;
}
