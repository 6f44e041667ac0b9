import { describe, expect, it } from 'vitest';
import {
  type LlmEndpoint,
  llmEndpointColumns,
  llmEndpointLabel,
  llmEndpointOf,
  llmEndpointProblem,
  llmKeyMayFollow,
} from './llm-endpoint.js';

const azure: LlmEndpoint = {
  kind: 'azure',
  baseUrl: 'https://contoso-eu.openai.azure.com',
  deployment: 'notes-4o',
  apiVersion: '2024-10-21',
};
const compatible: LlmEndpoint = { kind: 'compatible', baseUrl: 'https://llm.contoso.example/v1?token=x' };

describe("a tenant's model endpoint", () => {
  it('goes to its columns and back; no columns is the installation', () => {
    for (const endpoint of [azure, compatible, { kind: 'openai', baseUrl: null } as const])
      expect(llmEndpointOf(llmEndpointColumns(endpoint))).toEqual(endpoint);
    expect(llmEndpointOf(llmEndpointColumns(null))).toBeNull();
  });

  it('is named by kind and host only: no path, no query, never a key', () => {
    expect(llmEndpointLabel(null)).toBe('installation');
    expect(llmEndpointLabel(azure)).toBe('azure contoso-eu.openai.azure.com');
    expect(llmEndpointLabel(compatible)).toBe('compatible llm.contoso.example');
    expect(llmEndpointLabel({ kind: 'openai', baseUrl: null })).toBe('openai api.openai.com');
  });

  it('must be https in production and never carry credentials in its URL', () => {
    const plain: LlmEndpoint = { kind: 'compatible', baseUrl: 'http://ollama:11434/v1' };
    expect(llmEndpointProblem(plain, false)).toBeNull();
    expect(llmEndpointProblem(plain, true)).toMatch(
      /plain http \(http:\/\/ollama:11434\); production requires https/,
    );
    expect(llmEndpointProblem(azure, true)).toBeNull();
    const userinfo: LlmEndpoint = { kind: 'compatible', baseUrl: 'https://user:pw@llm.example/v1' };
    expect(llmEndpointProblem(userinfo, false)).toMatch(/must not hold credentials/);
    expect(llmEndpointProblem(userinfo, false)).not.toContain('pw');
  });

  it('lets a stored key follow only the same kind at the same origin', () => {
    expect(llmKeyMayFollow(azure, { ...azure, apiVersion: '2025-01-01-preview' })).toBe(true);
    expect(llmKeyMayFollow(azure, { ...azure, baseUrl: 'https://other.openai.azure.com' })).toBe(false);
    expect(llmKeyMayFollow(azure, { kind: 'compatible', baseUrl: azure.baseUrl })).toBe(false);
    expect(llmKeyMayFollow(null, azure)).toBe(false);
    expect(llmKeyMayFollow({ kind: 'openai', baseUrl: null }, { kind: 'openai', baseUrl: null })).toBe(true);
  });
});
