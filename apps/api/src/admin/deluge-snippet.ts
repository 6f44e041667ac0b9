/**
 * The Deluge custom function that signs and sends "request created" webhooks from ServiceDesk Plus,
 * filled in for one tenant. ServiceDesk Plus cannot sign webhooks itself; this computes the same
 * HMAC the API verifies (packages/shared/src/signature.ts).
 */
export function delugeSnippet(webhookUrl: string, secret: string): string {
  return `url = "${webhookUrl}";
secret = "${secret}";

payload = Map();
payload.put("event", "request.created");
payload.put("event_id", "request.created-" + requestObj.get("id"));
payload.put("request", requestObj);
body = payload.toString();

timestamp = (zoho.currenttime.toLong() / 1000).toString();
signature = zoho.encryption.hmacsha256(secret, timestamp + "." + body, "hex");

headers = Map();
headers.put("Content-Type", "application/json");
headers.put("X-Webhook-Timestamp", timestamp);
headers.put("X-Webhook-Signature", "sha256=" + signature);
response = invokeurl
[
  url: url
  type: POST
  parameters: body
  headers: headers
];
info response;`;
}
