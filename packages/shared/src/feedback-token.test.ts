import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFeedbackToken, parseFeedbackToken, verifyFeedbackToken } from './feedback-token.js';

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
    const [, , mac] = token.split('.');
    const otherTenant = parseFeedbackToken(`fabrikam.${id}.${mac}`);
    expect(otherTenant && verifyFeedbackToken(otherTenant, ['s3cret'])).toBe(false);
    const otherNote = parseFeedbackToken(`contoso.${randomUUID()}.${mac}`);
    expect(otherNote && verifyFeedbackToken(otherNote, ['s3cret'])).toBe(false);
  });

  it('rejects malformed tokens before any secret is looked up', () => {
    for (const bad of [
      '',
      'a.b',
      `Contoso.${id}.${'A'.repeat(43)}`,
      `contoso.not-a-uuid.${'A'.repeat(43)}`,
      `contoso.${id}.short`,
      `contoso.${id}.${'A'.repeat(43)}.x`,
    ]) {
      expect(parseFeedbackToken(bad)).toBeNull();
    }
  });
});
