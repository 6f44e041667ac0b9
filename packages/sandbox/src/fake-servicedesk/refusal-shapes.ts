import { isRecord } from '../json-value.js';

/**
 * How a portal's build words its refusals, beyond the vendor's "Common Error Codes" page
 * (sdpod-v3-api/getting-started/common-error-code.html, sdpop-v3-api/… for on-premises), which shows
 * an envelope `status_code: 4000` and one message per field with its own code and `field`. Each other
 * shape is one that answers replayed from public integrations show (issue 21, "Read what real answers
 * contain"); the default is the documented one.
 */
export interface RefusalShapes {
  /**
   * 'envelope' (default, documented): `response_status: {status_code: 4000, status: 'failed', messages}`.
   * 'messages-only': no envelope status_code or status; the code is only inside `messages`.
   */
  codes?: 'envelope' | 'messages-only';
  /**
   * 'field' (default, documented): one message per refused field, naming it in `field`.
   * 'fields-array': one message per code, naming every refused field in `fields: [...]`.
   */
  fields?: 'field' | 'fields-array';
  /**
   * The HTTP status of 4002 ("not allowed to perform the operation"): 403 (default, as the code table
   * pairs them) or 401, as a build answered it, which a client must not take for a dead credential.
   */
  notAllowedStatus?: 403 | 401;
}

type Message = Record<string, unknown>;

/** One message per code, naming the fields of every message with that code in `fields`. */
function mergeFields(messages: Message[]): Message[] {
  const byCode = new Map<unknown, Message>();
  for (const m of messages) {
    const { field, ...rest } = m;
    const merged = byCode.get(m.status_code) ?? { ...rest, fields: [] as string[] };
    if (typeof field === 'string') (merged.fields as string[]).push(field);
    byCode.set(m.status_code, merged);
  }
  // A message that named no field (e.g. 4022, invalid key) stays without `fields`.
  return [...byCode.values()].map(({ fields, ...m }) =>
    (fields as string[]).length > 0 ? { ...m, fields } : m,
  );
}

/** An SDP answer in the portal's shapes: the HTTP status and body to send. Other bodies pass unchanged. */
export function shapeRefusal(
  shapes: RefusalShapes | undefined,
  status: number,
  body: unknown,
): { status: number; body: unknown } {
  if (!shapes || !isRecord(body) || !isRecord(body.response_status)) return { status, body };
  const envelope = body.response_status;
  if (envelope.status !== 'failed' || !Array.isArray(envelope.messages)) return { status, body };
  let messages = envelope.messages.filter(isRecord);
  if (shapes.fields === 'fields-array') messages = mergeFields(messages);
  const { status_code: _code, status: _status, ...rest } = envelope;
  const shapedEnvelope = shapes.codes === 'messages-only' ? { ...rest, messages } : { ...envelope, messages };
  const notAllowed = messages.some((m) => m.status_code === 4002);
  const shapedStatus = notAllowed && status === 403 && shapes.notAllowedStatus === 401 ? 401 : status;
  return { status: shapedStatus, body: { ...body, response_status: shapedEnvelope } };
}
