/**
 * Replaces every occurrence of the given secrets. Error text partly comes from the server (SDP's
 * message, a proxy's page), and a misconfigured proxy can echo request headers back, so anything
 * foreign goes through here before it lands in an error message or a log line.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Short values would redact ordinary words; real keys and tokens are long.
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * A URL from the server (a redirect's Location) as an error message may show it: origin and path,
 * resolved against `base` when relative, without user info, query or fragment (an SSO redirect
 * carries a session ticket there, a proxy may echo the request's key), the secrets redacted, at most
 * 200 characters.
 */
export function redactUrl(text: string, base: string, secrets: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(text.slice(0, 2048), base);
  } catch {
    return 'an unreadable location';
  }
  const hidden = url.search || url.hash ? '?[query removed]' : '';
  return redact(`${url.origin}${url.pathname}`, secrets).slice(0, 200) + hidden;
}
