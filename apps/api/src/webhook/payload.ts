import { parseJsonLossless, WEBHOOK_EVENTS } from '@ai-agents/shared';
import { HttpError } from '../errors.js';

export interface WebhookEvent {
  event: string;
  eventId: string | undefined;
  requestId: string;
}

// ServiceDesk Plus ids are 64-bit integers (Java longs: 19 digits at most; 20 also covers the
// unsigned range). Up to 20 digits, nothing else, reaches a URL path of its API.
const MAX_ID_DIGITS = 20;
const SDP_ID = new RegExp(`^\\d{1,${MAX_ID_DIGITS}}$`);

/**
 * The authenticated webhook body as JSON, every id exactly as sent: never through a float.
 *
 * ServiceDesk Plus Cloud request ids have 18 digits (123640000000279007), above 2^53: a sender that
 * writes one as a JSON number would have JSON.parse round it to another ticket's id.
 * parseJsonLossless keeps such integers (in `request.id`, `event_id` or anywhere) as their digits.
 * It reads a body with no JSON number of 16 digits or more with a plain JSON.parse: every such
 * body, including the Deluge function's, whose 18-digit ids are strings, takes a plain JSON.parse
 * (the fast path: issue 28 measures intake CPU per request; the lossless parse of a 120-byte body
 * costs about 6 times JSON.parse's microsecond).
 *
 * A `request.id` that is still a number after that was written as a safe integer, or as a fraction or
 * an exponent (`1.5e3` parses to the integer 1500). Only then is the body parsed a second time, to read
 * that number's source text (JSON.parse source text access, in V8 since Node 21): `request.id` becomes
 * the text as sent, so 1500 stays "1500" and 1.5e3 is refused as what it is, not a request id.
 * Senders that give the id as a string (the Deluge function in docs/webhook-and-deluge.md does) never
 * pay for it. Both passes are linear in the body, which the route bounds (WEBHOOK_BODY_LIMIT_BYTES).
 * Throws SyntaxError for text that is not JSON.
 */
export function parseWebhookBody(text: string): unknown {
  const body = parseJsonLossless(text);
  const request = isObject(body) ? body.request : undefined;
  if (!isObject(request)) return body;
  // `request.account.id` (a connection's webhook, issue 25) is read the same way.
  const account = isObject(request.account) ? request.account : undefined;
  if (typeof request.id === 'number' || typeof account?.id === 'number') {
    const asSent = idsAsSent(text);
    if (typeof request.id === 'number') request.id = asSent?.id;
    if (account && typeof account.id === 'number')
      account.id = isObject(asSent?.account) ? asSent.account.id : undefined;
  }
  return body;
}

/** `request` of a body (valid JSON: parsed once already) with every numeric `id` as its source text. */
function idsAsSent(text: string): Record<string, unknown> | undefined {
  const body: unknown = JSON.parse(text, (key: string, value: unknown, context?: { source?: string }) =>
    key === 'id' && typeof value === 'number' && context?.source !== undefined ? context.source : value,
  );
  return isObject(body) && isObject(body.request) ? body.request : undefined;
}

/**
 * Reads the fields intake needs from a parsed webhook body (parseWebhookBody): `event` (one of
 * WEBHOOK_EVENTS), optional `event_id` and `request.id`. Everything else in the body is allowed and
 * left alone. Ids come as strings or numbers depending on the sender, so both are accepted; the
 * request id is kept as its exact digits.
 */
export function readWebhookEvent(body: unknown): WebhookEvent {
  if (!isObject(body)) throw invalid('body', 'must be a JSON object');
  const { event, event_id: eventId, request } = body;
  if (typeof event !== 'string' || event.trim() === '')
    throw invalid('event', 'is required (e.g. "request.created")');
  if (!WEBHOOK_EVENTS.includes(event.trim()))
    throw invalid('event', `must be one of ${WEBHOOK_EVENTS.map((e) => `"${e}"`).join(', ')}`);
  if (eventId !== undefined && eventId !== null && !isId(eventId, 200)) {
    throw invalid('event_id', 'must be a non-empty string of at most 200 characters');
  }
  if (!isObject(request)) throw invalid('request', 'is required and must be an object');
  if (request.id === undefined || request.id === null)
    throw invalid('request.id', 'is required: the ServiceDesk Plus request id (digits)');
  const requestId = sdpId(request.id);
  if (requestId === undefined)
    throw invalid(
      'request.id',
      `must be the ServiceDesk Plus request id: at most ${MAX_ID_DIGITS} digits, as a string or a JSON integer`,
    );
  return {
    event: event.trim(),
    eventId: eventId === undefined || eventId === null ? undefined : String(eventId),
    requestId,
  };
}

export interface WebhookAccount {
  /** SDP's `account.id` (digits); null when the body names no account. */
  id: string | null;
  /** `account.name` for display, when sent as a string (trimmed, at most 200 characters). */
  name: string | null;
}

/**
 * `request.account` of a connection's webhook (parseWebhookBody'd): ServiceDesk Plus MSP names the
 * request's customer account there (`account {id, name}` in its v3 request; the payload template
 * sends $-variables of it, docs/webhook-and-deluge.md). An id that is present must be an SDP id; a
 * missing one is for the caller to judge (single-portal editions send none).
 */
export function readWebhookAccount(body: unknown): WebhookAccount {
  const request = isObject(body) ? body.request : undefined;
  const account = isObject(request) ? request.account : undefined;
  if (account === undefined || account === null) return { id: null, name: null };
  if (!isObject(account)) throw invalid('request.account', 'must be an object with the account id');
  const id = account.id === undefined || account.id === null ? null : sdpId(account.id);
  if (id === undefined)
    throw invalid(
      'request.account.id',
      `must be the ServiceDesk Plus account id: at most ${MAX_ID_DIGITS} digits, as a string or a JSON integer`,
    );
  const name = typeof account.name === 'string' ? account.name.trim().slice(0, 200) || null : null;
  return { id, name };
}

/** A ServiceDesk Plus id as the webhook takes it: digits as a string, or a JSON integer. */
const SDP_ID_SCHEMA = {
  type: ['string', 'integer'],
  pattern: `^\\s*\\d{1,${MAX_ID_DIGITS}}\\s*$`,
  minimum: 0,
  // At most 20 digits: below 10^20.
  exclusiveMaximum: 10 ** MAX_ID_DIGITS,
} as const;

/** What readWebhookEvent accepts, as JSON Schema: the request body in the OpenAPI document. */
export const webhookEventSchema = {
  type: 'object',
  required: ['event', 'request'],
  properties: {
    event: {
      type: 'string',
      enum: WEBHOOK_EVENTS,
      description:
        'request.created asks for a note; request.resolved and request.closed add the ticket to the history',
    },
    event_id: {
      type: ['string', 'integer', 'null'],
      minLength: 1,
      maxLength: 200,
      pattern: '\\S',
      minimum: 0,
      description:
        'Identifies a delivery. request.resolved / request.closed: a redelivery with the same id is answered as a duplicate; without it, one is derived from the tenant, the event and the request id. request.created: one job per request whatever the id, so any second request.created of a request is a duplicate. A long integer is read as its digits',
    },
    request: {
      type: 'object',
      required: ['id'],
      properties: {
        id: {
          ...SDP_ID_SCHEMA,
          description:
            'The ServiceDesk Plus request id: at most 20 digits, as a string or a JSON integer. An integer of any length is read from its digits, never through a float (Cloud ids have 18 digits, above 2^53); a fraction or an exponent (1.5e3) is refused. The Deluge function sends it as a string',
        },
      },
      description:
        'Only `id` is read: the worker fetches the request from ServiceDesk Plus. Other fields (older functions sent the whole request object) are allowed and ignored',
    },
  },
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The id's digits, or undefined when it is no ServiceDesk Plus id. */
function sdpId(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const digits = value.trim();
  return SDP_ID.test(digits) ? digits : undefined;
}

function isId(value: unknown, maxLength: number): value is string | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && value.trim() !== '' && value.length <= maxLength;
}

function invalid(field: string, problem: string): HttpError {
  return new HttpError(422, 'invalid_payload', `${field} ${problem}`);
}

/** A connection's webhook body: the event's, with the request's account (required on MSP editions). */
export const connectionWebhookEventSchema = {
  ...webhookEventSchema,
  properties: {
    ...webhookEventSchema.properties,
    request: {
      ...webhookEventSchema.properties.request,
      properties: {
        ...webhookEventSchema.properties.request.properties,
        account: {
          type: 'object',
          properties: {
            id: {
              ...SDP_ID_SCHEMA,
              description:
                "The request's ServiceDesk Plus MSP account (customer) id, read like request.id: routes the event to the tenant mapped to it. Required on an MSP connection; ignored on a single portal",
            },
            name: { type: 'string', description: 'The account name, for `connection accounts` only' },
          },
        },
      },
      description:
        'Only `id` and `account` are read: the worker fetches the request from ServiceDesk Plus. Other fields are allowed and ignored',
    },
  },
} as const;
