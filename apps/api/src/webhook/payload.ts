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
