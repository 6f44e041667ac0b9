import { describe, expect, it } from 'vitest';
import { errorFromResponse } from './response-error.js';
import { retryAfterMs } from './retry-after.js';

const failed = (code: number, message: string) => ({
  response_status: {
    status_code: 4000,
    status: 'failed',
    messages: [{ status_code: code, type: 'failed', message }],
  },
});

function classify(status: number, body: unknown, headers: Record<string, string> = {}) {
  return errorFromResponse('GET request 7', { status, headers: new Headers(headers) }, body);
}

describe('errorFromResponse', () => {
  it.each([
    [401, failed(4022, 'Invalid API key received'), 'auth', false],
    [200, failed(4022, 'Invalid API key received'), 'auth', false],
    [403, failed(4002, 'Forbidden'), 'forbidden', false],
    [404, failed(4007, 'Invalid URL or Resource not found'), 'not_found', false],
    // 4001 is an input problem (a name or id in input_data), not a missing request: the vendor's
    // common-error-code pages pair it with HTTP 400; a missing request is 4007 with 404.
    [400, failed(4001, 'Value given for category is not valid'), 'bad_request', false],
    [400, failed(4008, 'Not unique'), 'bad_request', false],
    [400, failed(7001, 'Not allowed as per current license'), 'forbidden', false],
    // A token without the scope: a fresh token would be refused too, so it is no auth failure.
    [401, failed(4000, 'OAUTH_SCOPE_MISMATCH'), 'forbidden', false],
    [
      401,
      { code: 'OAUTH_SCOPE_MISMATCH', message: 'invalid oauth scope to access this URL' },
      'forbidden',
      false,
    ],
    // Zoho's other wording (Zoho Social's "Error For missing Scopes"; Zoho Mail answers alike).
    [401, { error: { code: 401, requestURI: '/x', message: 'INVALID_OAUTHSCOPE' } }, 'forbidden', false],
    [
      401,
      { msg: 'Error while processing!', errorCode: 'INVALID_OAUTHSCOPE', status: '401' },
      'forbidden',
      false,
    ],
    [401, { status: { code: 401 }, data: { errorCode: 'INVALID_OAUTHSCOPE' } }, 'forbidden', false],
    [401, [2, { msg: 'x', errorCode: 'INVALID_OAUTHSCOPE' }], 'forbidden', false],
    // A dead token in the same wording stays an authentication failure.
    [401, { error: { code: 401, message: 'INVALID_OAUTHTOKEN' } }, 'auth', false],
    // 4002 "not allowed" on HTTP 401: the caller is known and refused; a new token would not help.
    [401, failed(4002, 'Not allowed to perform the operation'), 'forbidden', false],
    [400, failed(4012, 'Value for mandatory-field is not provided.'), 'bad_request', false],
    [429, failed(4015, 'Too many requests'), 'rate_limited', true],
    [500, failed(4004, 'Internal error'), 'server', true],
    [502, undefined, 'server', true],
  ])('maps HTTP %i with %j to %s', (status, body, kind, retryable) => {
    const error = classify(status, body);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.httpStatus).toBe(status);
  });

  it('reads the code from the array response_status of list calls', () => {
    const body = {
      response_status: [
        { status_code: 4000, status: 'failed', messages: [{ status_code: 4007, message: 'gone' }] },
      ],
    };
    const error = classify(404, body);
    expect(error.sdpStatusCode).toBe(4007);
    expect(error.message).toBe('ServiceDesk Plus GET request 7 failed: 404 (4007) gone');
  });

  it('names the field SDP blames, for callers that react to one field', () => {
    const body = {
      response_status: {
        status_code: 4000,
        status: 'failed',
        messages: [{ status_code: 4012, field: 'request_note', message: 'EXTRA_KEY_FOUND_IN_JSON' }],
      },
    };
    const error = classify(400, body);
    expect(error.sdpEnvelopeCode).toBe(4000);
    expect(error.sdpFields).toEqual(['request_note']);
    expect(error.sdpMessages).toEqual(['EXTRA_KEY_FOUND_IN_JSON']);
    expect(error.message).toContain('[field request_note]');
  });

  it('keeps every field a refusal names, in `field` and in `fields: [...]`', () => {
    const body = {
      response_status: {
        status_code: 4000,
        status: 'failed',
        messages: [
          { status_code: 4001, type: 'failed', message: 'Invalid values', fields: ['category', 'priority'] },
          { status_code: 4012, type: 'failed', message: 'Mandatory', field: 'subject' },
        ],
      },
    };
    const error = classify(400, body);
    expect(error.sdpFields).toEqual(['category', 'priority', 'subject']);
    expect(error.sdpStatusCode).toBe(4001);
    expect(error.message).toBe(
      'ServiceDesk Plus GET request 7 failed: 400 (4001) Invalid values [fields category, priority, subject]',
    );
  });

  it('keeps a code given only inside messages, with no envelope code', () => {
    const body = {
      response_status: { messages: [{ status_code: 4001, type: 'failed', message: 'id does not exist' }] },
    };
    const error = classify(400, body);
    expect(error.sdpStatusCode).toBe(4001);
    expect(error.sdpEnvelopeCode).toBeUndefined();
    expect(error.sdpMessages).toEqual(['id does not exist']);
    expect(error.message).toBe('ServiceDesk Plus GET request 7 failed: 400 (4001) id does not exist');
    // On HTTP 200 the same envelope still reads as a failure.
    expect(classify(200, body).sdpStatusCode).toBe(4001);
  });

  it("quotes Zoho's reason when the body is not SDP's envelope", () => {
    const error = classify(401, { error: { code: 401, message: 'INVALID_OAUTHSCOPE' } });
    expect(error.message).toBe('ServiceDesk Plus GET request 7 failed: 401 INVALID_OAUTHSCOPE');
    expect(error.scopeMismatch).toBe(true);
  });

  it('accepts Retry-After as an HTTP date', () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const error = classify(429, failed(4015, 'slow down'), { 'retry-after': at });
    expect(error.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('redacts secrets that a server echoes back', () => {
    const key = 'SECRET-TECHNICIAN-KEY-1234';
    const error = errorFromResponse(
      'GET request 7',
      { status: 400, headers: new Headers() },
      failed(4000, `bad header authtoken=${key}`),
      [key],
    );
    expect(error.message).not.toContain(key);
    expect(error.message).toContain('[redacted]');
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, ignores garbage and never goes negative', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs(new Date(0).toUTCString())).toBe(0);
  });
});
