import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { OPENAPI_FILE, openApiDocument, openApiText, unconnectedDeps } from '../src/openapi/document.js';
import { readWebhookEvent, webhookEventSchema } from '../src/webhook/payload.js';

interface Operation {
  summary?: string;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, unknown>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('docs/openapi.json', () => {
  it('is what the routes generate', async () => {
    const committed: unknown = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
    expect(committed, 'docs/openapi.json is stale: run `npm run openapi` and commit it').toEqual(
      JSON.parse(await openApiText()),
    );
  });

  it('describes the webhook, feedback and the probes as OpenAPI 3.1, each with a summary', async () => {
    const document = (await openApiDocument()) as Document;
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        at: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );
    expect(operations.map((o) => o.at).sort()).toEqual([
      'GET /health',
      'GET /ready',
      'GET /v1/feedback',
      'POST /v1/feedback',
      'POST /v1/webhooks/servicedesk/connections/{connection}',
      'POST /v1/webhooks/servicedesk/{tenant}',
    ]);
    for (const { at, operation } of operations) expect(operation.summary, at).toBeTruthy();
    const webhook = document.paths['/v1/webhooks/servicedesk/{tenant}']?.post;
    expect(Object.keys(webhook?.requestBody?.content ?? {})).toEqual(['application/json', 'text/plain']);
    expect(Object.keys(webhook?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '401', '413', '415', '422', '429', '503']),
    );
    expect(Object.keys(document.paths['/v1/feedback']?.post?.requestBody?.content ?? {})).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
  });

  it('documents the webhook body the handler accepts, and no other', () => {
    // OpenAPI 3.1's schema dialect is JSON Schema 2020-12.
    const valid = new Ajv2020({ strict: false }).compile(webhookEventSchema);
    const accepts = (body: unknown) => {
      try {
        readWebhookEvent(body);
        return true;
      } catch {
        return false;
      }
    };
    const bodies: unknown[] = [
      { event: 'request.created', request: { id: '123' } },
      { event: 'request.closed', event_id: 'e-1', request: { id: 42, subject: 'VPN drops' } },
      { event: 'request.resolved', event_id: null, request: { id: ' 7 ' } },
      { event: 'request.created', event_id: 9, request: { id: '1' } },
      { event: 'request.deleted', request: { id: '1' } },
      { event: 'request.created' },
      { event: 'request.created', request: { id: '../notes' } },
      { event: 'request.created', request: { id: -1 } },
      { event: 'request.created', request: [] },
      { event: 'request.created', event_id: '', request: { id: '1' } },
      { event: 'request.created', event_id: '   ', request: { id: '1' } },
      { event: 'request.created', event_id: 'x'.repeat(201), request: { id: '1' } },
      { event: 'request.created', event_id: -3, request: { id: '1' } },
      { event: 'request.created', request: { id: '12345678901234567890' } },
      { event: 'request.created', request: { id: '123456789012345678901' } },
      { event: 'request.created', request: { id: 1e20 } },
      { event: 'request.created', request: { id: 1.5 } },
      [],
      'request.created',
    ];
    expect(bodies.map((body) => valid(body))).toEqual(bodies.map(accepts));
    expect(bodies.filter(accepts)).toHaveLength(5);
  });

  it('is not served by the app the server builds', async () => {
    const app = await buildApp(unconnectedDeps());
    try {
      expect(app.hasDecorator('swagger')).toBe(false);
      for (const url of ['/documentation/json', '/openapi.json']) {
        expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
      }
    } finally {
      await app.close();
    }
  });
});
