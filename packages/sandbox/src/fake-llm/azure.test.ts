import { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from './fake-llm.js';

let llm: FakeLlm;
const KEY = 'azure-key-1';
const body = JSON.stringify({ messages: [{ role: 'user', content: 'Reply with OK.' }] });

beforeAll(async () => {
  llm = await startFakeLlm({ apiKey: KEY, azure: { deployments: ['notes-4o'] } });
});

afterAll(() => llm.close());

async function post(path: string, headers: Record<string, string>) {
  const res = await fetch(`${llm.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code?: string; message?: string } } };
}

describe('the fake LLM as an Azure OpenAI resource', () => {
  it("answers openai-node's AzureOpenAI client at the deployment's path with the api-key header", async () => {
    const client = new AzureOpenAI({
      baseURL: `${llm.origin}/openai`,
      apiKey: KEY,
      deployment: 'notes-4o',
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    const answer = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Reply with OK.' }],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(llm.calls.at(-1)).toMatchObject({ deployment: 'notes-4o', status: 200 });
  });

  it('refuses a call without api-version as Azure does: 404 Resource not found', async () => {
    const path = '/openai/deployments/notes-4o/chat/completions';
    expect(await post(path, { 'api-key': KEY })).toEqual({
      status: 404,
      body: { error: { code: '404', message: 'Resource not found' } },
    });
  });

  it('refuses a wrong key, no key, and the key sent the OpenAI way (Bearer) with 401', async () => {
    const path = '/openai/deployments/notes-4o/chat/completions?api-version=2024-10-21';
    const attempts: Record<string, string>[] = [
      { 'api-key': 'azure-key-0' },
      {},
      { authorization: `Bearer ${KEY}` },
    ];
    for (const headers of attempts) {
      const answer = await post(path, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe('401');
    }
  });

  it('refuses a deployment the resource does not have: 404 DeploymentNotFound', async () => {
    const answer = await post('/openai/deployments/gpt-5/chat/completions?api-version=2024-10-21', {
      'api-key': KEY,
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error?.code).toBe('DeploymentNotFound');
  });

  it('keeps the OpenAI path, with the key as a bearer token', async () => {
    const answer = await post('/v1/chat/completions', { authorization: `Bearer ${KEY}` });
    expect(answer.status).toBe(400); // the body has no model: OpenAI's own refusal, past the key
    expect((await post('/v1/chat/completions', { 'api-key': KEY })).status).toBe(401);
  });
});
