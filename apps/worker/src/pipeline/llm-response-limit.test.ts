import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_RESPONSE_BYTES } from '@ai-agents/shared';
import { createHttpFetch } from '@ai-agents/shared/http-fetch';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPrompt } from './build-prompt.js';
import { generateNote } from './generate-note.js';
import { noRedaction } from './redact-pii.js';

// An OpenAI-compatible endpoint that answers a chat completion with megabytes of JSON.
let server: Server;
let baseURL: string;
const http = createHttpFetch();

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(`{"padding":"${'x'.repeat(MAX_RESPONSE_BYTES + 1024)}"}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await http.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('an LLM answer above the size limit', () => {
  it('is refused and the note falls back to the context, saying why', async () => {
    const llm = new OpenAI({ apiKey: 'test', baseURL, maxRetries: 0, fetch: http.fetch });
    const taxonomy = { categories: [], priorities: [] };
    const built = buildPrompt({
      subject: 'VPN drops',
      description: 'Every hour.',
      context: { similar: [], solutions: [], assets: [], unavailable: [] },
      language: { note: 'en', ticket: 'en', from: 'ticket' },
      taxonomy,
      redactor: noRedaction,
      tokenBudget: 1_000,
    });
    const outcome = await generateNote(llm, built, {
      model: 'gpt-4o-mini',
      maxInvalidRetries: 0,
      taxonomy,
      prices: {},
    });
    expect(outcome).toEqual({
      kind: 'fallback',
      reason: 'LLM request failed: answer larger than 4 MB refused',
    });
  });
});
