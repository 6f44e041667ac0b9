import { createHash } from 'node:crypto';
import type { SdpRequest } from '@ai-agents/servicedesk';

/**
 * The key under which near-identical tickets of an alert storm meet: the subject with everything that
 * varies between alerts of one kind (numbers, hex ids, UUIDs, IP addresses, timestamps) replaced, plus
 * the requester (monitoring tools send as one account). Hashed: the key is stored, ticket text is not.
 */
export function alertStormKey(request: Pick<SdpRequest, 'subject' | 'requester'>): string | null {
  const pattern = normaliseSubject(request.subject ?? '');
  if (!pattern) return null;
  const requester = (request.requester?.email_id || request.requester?.name || '').trim().toLowerCase();
  return createHash('sha256').update(`${pattern}\n${requester}`).digest('hex').slice(0, 32);
}

export function normaliseSubject(subject: string): string {
  return subject
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '#')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '#')
    .replace(/\b0x[0-9a-f]+\b/g, '#')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b/g, '#')
    .replace(/\d+/g, '#')
    .replace(/[^\p{L}#]+/gu, ' ')
    .replace(/#(?:\s*#)+/g, '#')
    .trim();
}
