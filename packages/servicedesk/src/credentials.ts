import type { ServiceDeskAuth } from './client.js';
import { isRecord } from './json-shape.js';

/**
 * The stored (decrypted) credentials JSON of a tenant → the client's auth. Shared by the worker and
 * the operator's `tenant check`, so both read exactly what `tenant add` wrote. The error names the
 * missing field, never a value.
 */
export function parseServiceDeskAuth(json: string): ServiceDeskAuth {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('ServiceDesk Plus credentials are not valid JSON');
  }
  if (!isRecord(value)) throw new Error('ServiceDesk Plus credentials are not an object');
  const text = (field: string): string => {
    const v = value[field];
    if (typeof v !== 'string' || v === '') throw new Error(`ServiceDesk Plus credentials lack ${field}`);
    return v;
  };
  if (value.type === 'onprem') return { type: 'onprem', technicianKey: text('technicianKey') };
  if (value.type === 'cloud') {
    const cloud = {
      type: 'cloud' as const,
      clientId: text('clientId'),
      clientSecret: text('clientSecret'),
      refreshToken: text('refreshToken'),
      accountsUrl: text('accountsUrl'),
    };
    if (!/^https?:\/\//.test(cloud.accountsUrl)) {
      throw new Error('ServiceDesk Plus credentials: accountsUrl is not a URL');
    }
    return cloud;
  }
  throw new Error('ServiceDesk Plus credentials have an unknown type');
}
