import { WEBHOOK_EVENTS } from '@ai-agents/shared';
import { HttpError } from '../errors.js';

export interface WebhookEvent {
  event: string;
  eventId: string | undefined;
  requestId: string;
}

/**
 * Reads the fields intake needs from a parsed webhook body: `event` (one of WEBHOOK_EVENTS), optional `event_id` and
 * `request.id`. Everything else in the ServiceDesk Plus request object is allowed and left alone.
 * SDP sends ids as strings or numbers depending on version, so both are accepted.
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
  // ServiceDesk Plus issues numeric ids (sent as a number or a digit string); nothing else may reach
  // a URL path of its API.
  if (!isSdpId(request.id))
    throw invalid('request.id', 'is required: the ServiceDesk Plus request id (digits)');
  return {
    event: event.trim(),
    eventId: eventId === undefined || eventId === null ? undefined : String(eventId),
    requestId: String(request.id).trim(),
  };
}

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
        'Identifies a delivery: a redelivery with the same id is answered as a duplicate. Without it, one is derived from the tenant, the event and the request id',
    },
    request: {
      type: 'object',
      required: ['id'],
      properties: {
        id: {
          type: ['string', 'integer'],
          pattern: '^\\s*\\d{1,20}\\s*$',
          minimum: 0,
          description: 'The ServiceDesk Plus request id: digits, as a string or a number',
        },
      },
      description: 'The ServiceDesk Plus v3 request object; its other fields are allowed and left alone',
    },
  },
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSdpId(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && /^\d{1,20}$/.test(value.trim());
}

function isId(value: unknown, maxLength: number): value is string | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && value.trim() !== '' && value.length <= maxLength;
}

function invalid(field: string, problem: string): HttpError {
  return new HttpError(422, 'invalid_payload', `${field} ${problem}`);
}
