import type { TenantRow } from '@ai-agents/db';
import { randomEncryptionKey, startFakeLlm } from '@ai-agents/sandbox';
import { createSecretBox, type LlmEndpoint, llmEndpointColumns } from '@ai-agents/shared';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createTenantLlms } from './tenant-llm.js';

const box = createSecretBox(randomEncryptionKey());
const installation = new OpenAI({ apiKey: 'installation', baseURL: 'http://127.0.0.1:9/v1' });
const options = { timeoutMs: 2_000, maxRetries: 0 };

/** The columns the clients read of a tenant row; the rest of the row does not matter to them. */
function tenant(endpoint: LlmEndpoint | null, key: string | null, updatedAt = new Date(1_000)): TenantRow {
  const id = '00000000-0000-4000-8000-000000000001';
  const row: Partial<Record<keyof TenantRow, unknown>> = {
    id,
    slug: 'contoso',
    updatedAt,
    ...llmEndpointColumns(endpoint),
    llmApiKeyEnc: key === null ? null : box.encrypt(key, { tenantId: id, purpose: 'llm_api_key' }),
  };
  return row as TenantRow;
}

describe("a tenant's LLM client", () => {
  it('is the installation’s for a tenant without an endpoint of its own', () => {
    const llms = createTenantLlms({ installation, box, client: options, requireHttps: true });
    expect(llms.forTenant(tenant(null, null))).toEqual({
      ok: true,
      client: installation,
      endpoint: 'installation',
    });
  });

  it('reaches the tenant’s server with its key, is kept, and is rebuilt when the row changes', async () => {
    const server = await startFakeLlm({ apiKey: 'own-key' });
    try {
      const llms = createTenantLlms({ installation, box, client: options, requireHttps: false });
      const endpoint: LlmEndpoint = { kind: 'compatible', baseUrl: server.url };
      const first = llms.forTenant(tenant(endpoint, 'own-key'));
      if (!first.ok) throw new Error(first.problem);
      await first.client.chat.completions.create({
        model: 'llama3.1',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(server.calls.map((c) => [c.model, c.status])).toEqual([['llama3.1', 200]]);
      expect(llms.forTenant(tenant(endpoint, 'own-key'))).toBe(first);
      const changed = llms.forTenant(tenant(endpoint, 'other-key', new Date(2_000)));
      expect(changed).not.toBe(first);
      if (!changed.ok) throw new Error(changed.problem);
      await expect(
        changed.client.chat.completions.create({
          model: 'llama3.1',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ).rejects.toThrow(OpenAI.AuthenticationError);
    } finally {
      await server.close();
    }
  });

  it('is refused, with the reason and no key, for plain http in production or a key that does not decrypt', () => {
    const endpoint: LlmEndpoint = { kind: 'compatible', baseUrl: 'http://ollama:11434/v1' };
    const production = createTenantLlms({ installation, box, client: options, requireHttps: true });
    expect(production.forTenant(tenant(endpoint, 'own-key'))).toEqual({
      ok: false,
      endpoint: 'compatible ollama:11434',
      problem: 'the compatible endpoint is plain http (http://ollama:11434); production requires https',
    });
    const otherBox = createSecretBox(randomEncryptionKey());
    const wrongKey = createTenantLlms({ installation, box: otherBox, client: options, requireHttps: false });
    const refused = wrongKey.forTenant(tenant(endpoint, 'own-key'));
    expect(refused).toMatchObject({ ok: false, problem: expect.stringContaining('does not decrypt') });
    expect(JSON.stringify(refused)).not.toContain('own-key');
  });
});
