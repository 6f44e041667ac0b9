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

const vote = {
  helpful: {
    type: ['boolean', 'string'],
    enum: [true, false, 'yes', 'no', 'true', 'false'],
    description: 'Whether the note helped; forms send "yes" or "no"',
  },
  comment: { type: ['string', 'null'], maxLength: MAX_COMMENT_CHARS },
} as const;

/** What readFeedbackFields accepts in each mode, as JSON Schema: the request body in the OpenAPI document. */
export const feedbackBodySchema = {
  oneOf: [
    {
      title: 'link token',
      type: 'object',
      required: ['token', 'helpful'],
      properties: {
        token: { type: 'string', description: "The token of the note's feedback link" },
        ...vote,
      },
    },
    {
      title: 'signed',
      type: 'object',
      required: ['tenant', 'enhancement_id', 'helpful'],
      properties: {
        tenant: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'The tenant slug' },
        enhancement_id: { type: 'string', format: 'uuid' },
        ...vote,
      },
      description: 'Signed like a webhook: X-Webhook-Timestamp and X-Webhook-Signature over the raw body',
    },
  ],
} as const;

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
