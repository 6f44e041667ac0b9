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
