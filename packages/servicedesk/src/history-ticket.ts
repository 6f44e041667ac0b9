import type { SdpAccount, SdpRequest, SdpResolution } from './sdp-entities.js';

/** A resolved request in the shape the history store takes (`HistoryTicket` of @ai-agents/db). */
export interface ResolvedTicket {
  externalId: string;
  subject: string;
  description: string;
  resolution: string;
  category: string | null;
  technician: string | null;
  resolvedAt: Date | null;
  /** The MSP customer the request belongs to (requestFrom read it); null on single-portal editions. */
  account: SdpAccount | null;
}

function nameOf(value: unknown): string | null {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string'
    ? (value as { name: string }).name
    : null;
}

function timeOf(value: unknown): Date | null {
  const ms = Number(
    typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : Number.NaN,
  );
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : null;
}

/**
 * A resolved or closed request and its resolution as history. `toText` turns SDP's HTML into words.
 * The resolution falls back to the request's own `resolution` field, which some builds embed.
 */
export function resolvedTicketFrom(
  request: SdpRequest,
  resolution: SdpResolution | null,
  toText: (html: string | null | undefined) => string,
): ResolvedTicket {
  const embedded = (request.resolution as { content?: unknown } | undefined)?.content;
  return {
    externalId: request.id,
    subject: request.subject,
    description: toText(request.description),
    resolution: toText(resolution?.content ?? (typeof embedded === 'string' ? embedded : '')),
    category: nameOf(request.category),
    technician: nameOf(request.technician),
    resolvedAt:
      timeOf(request.resolved_time) ?? timeOf(request.completed_time) ?? timeOf(resolution?.submitted_on),
    account: request.account ?? null,
  };
}
