import { isRecord } from './json-shape.js';

export interface SdpStatus {
  /** SDP said the call failed, whatever the HTTP status was. */
  failed: boolean;
  /** The most specific SDP code: the first message's status_code, else the envelope's. */
  code?: number;
  message?: string;
}

function codeOf(value: unknown): number | undefined {
  const code = typeof value === 'string' ? Number(value) : value;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

/**
 * Reads the `response_status` envelope. SDP returns it as an object on single-entity calls and as an
 * array of such objects on list calls, so both shapes are accepted.
 */
export function sdpStatusOf(body: unknown): SdpStatus {
  if (!isRecord(body)) return { failed: false };
  const raw = body.response_status;
  const entries = (Array.isArray(raw) ? raw : [raw]).filter(isRecord);
  for (const entry of entries) {
    const envelopeCode = codeOf(entry.status_code);
    const failed = entry.status === 'failed' || (envelopeCode !== undefined && envelopeCode >= 4000);
    if (!failed) continue;
    const messages = Array.isArray(entry.messages) ? entry.messages.filter(isRecord) : [];
    const first = messages[0];
    const code = codeOf(first?.status_code) ?? envelopeCode;
    const message = typeof first?.message === 'string' ? first.message : undefined;
    return { failed: true, code, message };
  }
  return { failed: false };
}
