/**
 * A connection's function (issue 25) also sends the request's account: ServiceDesk Plus MSP's v3
 * request carries `account {id, name}` (docs/servicedesk-plus-msp.md), which the request trigger's
 * `requestObj` holds as a map; the id goes as text, like the request's, and routes the event to the
 * account's tenant. On a single-portal connection the account is absent and ignored.
 */
const ACCOUNT_LINES = `
// The request's customer account (ServiceDesk Plus MSP): the service routes the event by its id.
accountObj = requestObj.get("account");
if(accountObj != null)
{
\taccount = Map();
\taccount.put("id", accountObj.get("id").toString());
\taccount.put("name", accountObj.get("name"));
\trequest.put("account", account);
}`;

/**
 * The Deluge custom function that signs and sends a ServiceDesk Plus event to the webhook, filled in
 * for one tenant. The one source of the function: `tenant add` and `tenant rotate-secret` print it,
 * and the README and docs/webhook-and-deluge.md show it verbatim (deluge-snippet.test.ts checks).
 *
 * ServiceDesk Plus cannot sign webhooks itself; this computes the same HMAC the API verifies
 * (packages/shared/src/signature.ts). It sends only the event, its id and the request id: the worker
 * fetches the request itself, so the body stays about 100 bytes whatever the ticket holds (the
 * webhook refuses bodies above WEBHOOK_BODY_LIMIT_BYTES, 256 KB by default), and no ticket text
 * crosses to us twice.
 *
 * What it follows:
 * - A request trigger's custom function receives the request as the map `requestObj`
 *   (help.sdpondemand.com/deluge-scripting-in-request-triggers-and-life-cycle). Its `id` is given as
 *   text or as a number depending on the edition and build; `toString()` makes it text either way
 *   (zoho.com/deluge/help/functions/common/tostring.html), so the 18-digit ids of Cloud never pass
 *   through a JSON number. The API reads a number losslessly too, for functions written before.
 * - `invokeurl` sends a text `parameters` body as text/plain unless its `content-type` says otherwise
 *   (zoho.com/deluge/help/webhook/invokeurl-api-task.html); the API also takes text/plain on this
 *   route, for functions written before. The same page: a call that fails is not retried ("wait for a
 *   few moments before trying again"): the reconcile sweep catches what never arrives.
 * - A map's `toString()` is its JSON text; the signature covers exactly that text, sent once.
 * - `event_id` names one run of the function (event, request, second): a resolve, reopen and second
 *   resolve are two history events. request.created is one job per request whatever its event id.
 */
export function delugeSnippet(
  webhookUrl: string,
  secret: string,
  options: { account?: boolean } = {},
): string {
  return `url = "${webhookUrl}";
secret = "${secret}";
// The trigger this function runs on: "request.created" on the create trigger; a copy with
// "request.resolved" or "request.closed" on the resolve or close trigger feeds the ticket history.
event = "request.created";
// Whole seconds: a division of numbers in Deluge keeps the fraction, so convert back to a long.
timestamp = (zoho.currenttime.toLong() / 1000).toLong().toString();

// Only the event and the ids: the service fetches the ticket itself.
requestId = requestObj.get("id").toString();
request = Map();
request.put("id", requestId);${options.account ? ACCOUNT_LINES : ''}
payload = Map();
payload.put("event", event);
payload.put("event_id", event + "-" + requestId + "-" + timestamp);
payload.put("request", request);
body = payload.toString();

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

/** The function as the README and docs/webhook-and-deluge.md show it, with example values. */
export const DOCUMENTED_DELUGE_SNIPPET = delugeSnippet(
  'https://ai-agents.example.com/v1/webhooks/servicedesk/contoso',
  '<webhook secret>',
);

/**
 * The body of a ServiceDesk Plus native webhook (Admin > Integrations > Webhooks) for a connection in
 * token mode: the webhook cannot sign, so it sends the secret in X-Webhook-Token. Its URL, headers and
 * payload take `$` variables the page lets the admin insert; their names vary with the edition and
 * build and are not verified against a live MSP instance, so the template names what to insert.
 */
export function webhookPayloadTemplate(): string {
  return [
    '{',
    '  "event": "request.created",',
    '  "request": {',
    '    "id": "<insert the $ variable of the request id>",',
    '    "account": { "id": "<insert the $ variable of the request\'s account id>" }',
    '  }',
    '}',
  ].join('\n');
}
