import { type FakeServiceDesk, type FakeServiceDeskOptions, startFakeServiceDesk } from '@ai-agents/sandbox';
import { afterEach } from 'vitest';
import { createServiceDeskClient, type ServiceDeskAuth } from '../src/client.js';

export const OAUTH = {
  clientId: '1000.CLIENTID0123456789',
  clientSecret: 'client-secret-0123456789abcdef',
  refreshToken: '1000.refresh-token-0123456789abcdef',
};

/**
 * A Cloud portal of the strict fake per call, closed after each test, with a client of it and counters
 * of what a tenant's operator would notice: token requests and 401 answers.
 */
export function cloudPortals() {
  const running: FakeServiceDesk[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  return async function portal(
    oauth: Partial<NonNullable<FakeServiceDeskOptions['oauth']>> = {},
    options: Omit<FakeServiceDeskOptions, 'oauth'> = {},
  ) {
    const sdp = await startFakeServiceDesk({ ...options, oauth: { ...OAUTH, ...oauth } });
    running.push(sdp);
    const auth: ServiceDeskAuth = { type: 'cloud', ...OAUTH, accountsUrl: sdp.accountsUrl };
    const client = createServiceDeskClient({ baseUrl: `${sdp.url}/app/itdesk`, auth });
    const tokenCalls = () => sdp.calls.filter((c) => c.path === '/oauth/v2/token').length;
    const unauthorised = () => sdp.calls.filter((c) => c.status === 401).length;
    return { sdp, client, auth, tokenCalls, unauthorised };
  };
}
