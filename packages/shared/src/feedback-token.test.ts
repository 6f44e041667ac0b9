import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createFeedbackToken,
  feedbackLinkExpired,
  parseFeedbackToken,
  verifyFeedbackToken,
} from './feedback-token.js';

const id = randomUUID();

describe('feedback link token', () => {
  it('verifies with the secret it was made with, and with it among rotated secrets', () => {
    const claims = parseFeedbackToken(createFeedbackToken('s3cret', 'contoso', id));
    expect(claims).toMatchObject({ slug: 'contoso', enhancementId: id });
    expect(claims && verifyFeedbackToken(claims, ['s3cret'])).toBe(true);
    expect(claims && verifyFeedbackToken(claims, ['new-secret', 's3cret'])).toBe(true);
  });

  it('fails for another secret, another tenant or another enhancement', () => {
    const token = createFeedbackToken('s3cret', 'contoso', id);
    const claims = parseFeedbackToken(token);
    expect(claims && verifyFeedbackToken(claims, ['other'])).toBe(false);
    const [, , issued, mac] = token.split('.');
    const otherTenant = parseFeedbackToken(`fabrikam.${id}.${issued}.${mac}`);
    expect(otherTenant && verifyFeedbackToken(otherTenant, ['s3cret'])).toBe(false);
    const otherNote = parseFeedbackToken(`contoso.${randomUUID()}.${issued}.${mac}`);
    expect(otherNote && verifyFeedbackToken(otherNote, ['s3cret'])).toBe(false);
    // The issue time is signed too: it cannot be moved forward to revive an expired link.
    const later = parseFeedbackToken(`contoso.${id}.${Number(issued) + 86_400}.${mac}`);
    expect(later && verifyFeedbackToken(later, ['s3cret'])).toBe(false);
  });

  it('rejects malformed tokens before any secret is looked up', () => {
    for (const bad of [
      '',
      'a.b',
      `Contoso.${id}.${'A'.repeat(43)}`,
      `contoso.not-a-uuid.${'A'.repeat(43)}`,
      `contoso.${id}.short`,
      `contoso.${id}.${'A'.repeat(43)}.x`,
      `contoso.${id}.-5.${'A'.repeat(43)}`,
      `contoso.${id}.1.2.${'A'.repeat(43)}`,
    ]) {
      expect(parseFeedbackToken(bad)).toBeNull();
    }
  });

  it('expires links after 90 days; a link from the future beyond clock skew is no better', () => {
    const day = 24 * 3600_000;
    const now = Date.UTC(2026, 11, 1);
    expect(feedbackLinkExpired(now - 89 * day, now)).toBe(false);
    expect(feedbackLinkExpired(now - 91 * day, now)).toBe(true);
    expect(feedbackLinkExpired(now + day, now)).toBe(true);
    const claims = parseFeedbackToken(createFeedbackToken('s3cret', 'contoso', id, now - 91 * day));
    expect(claims?.issued).toBe(Math.floor((now - 91 * day) / 1000));
  });
});
