/**
 * The Deluge custom function that signs and sends "request created" webhooks from ServiceDesk Plus,
 * filled in for one tenant. ServiceDesk Plus cannot sign webhooks itself; this computes the same
 * HMAC the API verifies (packages/shared/src/signature.ts).
 *
 * `invokeurl` sends a text `parameters` body as text/plain unless its `content-type` parameter says
 * otherwise (Deluge's invokeurl task, zoho.com/deluge/help/web-data/invokeurl-task.html); the API
 * also takes text/plain on this route, for functions written before.
 */
export function delugeSnippet(webhookUrl: string, secret: string): string {
  return `url = "${webhookUrl}";
secret = "${secret}";

payload = Map();
payload.put("event", "request.created");
payload.put("event_id", "request.created-" + requestObj.get("id"));
payload.put("request", requestObj);
body = payload.toString();

// Whole seconds: a division of numbers in Deluge keeps the fraction, so convert back to a long.
timestamp = (zoho.currenttime.toLong() / 1000).toLong().toString();
signature = zoho.encryption.hmacsha256(secret, timestamp + "." + body, "hex");

headers = Map();
headers.put("X-Webhook-Timestamp", timestamp);
headers.put("X-Webhook-Signature", "sha256=" + signature);
response = invokeurl
[
  url: url
  type: POST
  parameters: body
  headers: headers
  content-type: "application/json"
];
info response;`;
}
