/** The small pages a technician sees after clicking "Yes"/"No" in a note. No script, no external asset. */

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}textarea{width:100%;min-height:6rem}button{margin-top:1rem;padding:.5rem 1.5rem}</style></head><body>${body}</body></html>`;
}

/**
 * The form behind a note's link. The click itself records nothing: mail and chat clients open links
 * to preview them, and that must not count as a vote. The technician confirms with one button.
 */
export function feedbackFormPage(action: string, token: string, helpful: boolean | undefined): string {
  const checked = (value: boolean) => (helpful === value ? ' checked' : '');
  return page(
    'Feedback on an AI note',
    `<h1>Was the AI note helpful?</h1><form method="post" action="${escapeHtml(action)}"><input type="hidden" name="token" value="${escapeHtml(token)}"><p><label><input type="radio" name="helpful" value="yes"${checked(true)} required> Helpful</label> <label><input type="radio" name="helpful" value="no"${checked(false)}> Not helpful</label></p><p><label for="comment">What was right or wrong? (optional)</label><br><textarea id="comment" name="comment" maxlength="2000"></textarea></p><button type="submit">Send</button></form>`,
  );
}

export function feedbackThanksPage(): string {
  return page('Thank you', '<h1>Thank you</h1><p>Your feedback was recorded. You can close this page.</p>');
}

export function feedbackErrorPage(message: string): string {
  return page('Feedback not recorded', `<h1>Feedback not recorded</h1><p>${escapeHtml(message)}</p>`);
}
