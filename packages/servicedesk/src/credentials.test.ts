import { describe, expect, it } from 'vitest';
import { parseServiceDeskAuth } from './credentials.js';

describe('stored ServiceDesk Plus credentials', () => {
  it('reads on-prem and Cloud credentials as tenant add stores them', () => {
    expect(parseServiceDeskAuth('{"type":"onprem","technicianKey":"k"}')).toEqual({
      type: 'onprem',
      technicianKey: 'k',
    });
    const cloud = {
      type: 'cloud',
      clientId: 'id',
      clientSecret: 's',
      refreshToken: 'r',
      accountsUrl: 'https://accounts.zoho.eu',
    };
    expect(parseServiceDeskAuth(JSON.stringify(cloud))).toEqual(cloud);
  });

  it('names the missing field without echoing any value', () => {
    expect(() => parseServiceDeskAuth('{"type":"cloud","clientId":"id","clientSecret":"hush"}')).toThrow(
      'ServiceDesk Plus credentials lack refreshToken',
    );
    expect(() => parseServiceDeskAuth('{"type":"ldap","password":"hush"}')).toThrow(/unknown type$/);
    expect(() => parseServiceDeskAuth('not json hush')).toThrow(
      'ServiceDesk Plus credentials are not valid JSON',
    );
  });
});
