import { isRecord } from './json-shape.js';

export interface SdpStatus {
  /** SDP said the call failed, whatever the HTTP status was. */
  failed: boolean;
  /** The envelope's own status_code (4000 for every input problem). */
  envelopeCode?: number;
  /** The most specific SDP code: the first message's status_code, else the envelope's. */
  code?: number;
  message?: string;
  /** The input field the first message blames, when SDP names one (e.g. "request_note"). */
  field?: string;
  /** Every message's code, text and field, for callers that look past the first. */
  messages: Array<{ code?: number; message?: string; field?: string }>;
}

function codeOf(value: unknown): number | undefined {
  const code = typeof value === 'string' ? Number(value) : value;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

// A failed answer lists one message per refused field; a handful is all any real answer carries.
const MAX_MESSAGES = 20;

/**
 * Reads the `response_status` envelope. SDP returns it as an object on single-entity calls and as an
 * array of such objects on list calls, so both shapes are accepted. The shape of a failure follows
 * the vendor's "Common Error Codes" page (sdpod-v3-api/getting-started/common-error-code.html, and
 * sdpop-v3-api/getting-started/common-error-code.html for on-premises): an envelope status_code of
 * 4000 and `messages[]` entries with their own status_code, message and, for input errors, `field`.
 */
export function sdpStatusOf(body: unknown): SdpStatus {
  if (!isRecord(body)) return { failed: false, messages: [] };
  const raw = body.response_status;
  const entries = (Array.isArray(raw) ? raw : [raw]).filter(isRecord);
  for (const entry of entries) {
    const envelopeCode = codeOf(entry.status_code);
    const failed = entry.status === 'failed' || (envelopeCode !== undefined && envelopeCode >= 4000);
    if (!failed) continue;
    const messages = (Array.isArray(entry.messages) ? entry.messages.slice(0, MAX_MESSAGES) : [])
      .filter(isRecord)
      .map((m) => ({ code: codeOf(m.status_code), message: text(m.message), field: text(m.field) }));
    const first = messages[0];
    return {
      failed: true,
      envelopeCode,
      code: first?.code ?? envelopeCode,
      message: first?.message,
      field: first?.field,
      messages,
    };
  }
  return { failed: false, messages: [] };
}
