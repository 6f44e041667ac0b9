import { signWebhook } from '@ai-agents/shared';

/** What one delivery got: the HTTP status, or 'unreachable' when nothing answered (API stopped). */
export type DeliveryAnswer = number | 'unreachable';

/**
 * One webhook delivery as ServiceDesk Plus makes it: one signed POST and no retry, whatever the answer.
 * A Deluge `invokeurl` that fails is not retried, and no ServiceDesk Plus page on webhooks, custom
 * triggers or custom functions describes a redelivery (issue 21; docs/reliability.md).
 */
export async function deliverOnce(
  url: string,
  secret: string,
  event: { eventId: string; requestId: string },
): Promise<DeliveryAnswer> {
  const body = JSON.stringify({
    event: 'request.created',
    event_id: event.eventId,
    request: { id: event.requestId },
  });
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(secret, body) },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'unreachable';
  }
}
