import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_DELUGE_SNIPPET, delugeSnippet } from './deluge-snippet.js';

const repoFile = (path: string) => readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8');

describe('the Deluge function', () => {
  it.each(['README.md', 'docs/webhook-and-deluge.md'])(
    '%s shows the function the CLI prints, verbatim',
    (page) => {
      expect(repoFile(page)).toContain(`\`\`\`deluge\n${DOCUMENTED_DELUGE_SNIPPET}\n\`\`\``);
    },
  );

  it('sends only the event, its id and the request id as text, never the request object', () => {
    const snippet = delugeSnippet('https://agents.example/v1/webhooks/servicedesk/acme', 's3cret');
    const sent = [...snippet.matchAll(/payload\.put\("([^"]+)"/g)].map((m) => m[1]);
    expect(sent).toEqual(['event', 'event_id', 'request']);
    expect([...snippet.matchAll(/request\.put\("([^"]+)"/g)].map((m) => m[1])).toEqual(['id']);
    // requestObj is read once, for its id, as text: an 18-digit Cloud id never becomes a JSON number.
    expect(snippet.match(/requestObj[^;]*/g)).toEqual(['requestObj.get("id").toString()']);
    expect(snippet).toContain('url = "https://agents.example/v1/webhooks/servicedesk/acme";');
    expect(snippet).toContain('secret = "s3cret";');
  });
});
