/** SDP's envelope for a successful call; list calls wrap it in an array. */
export const SUCCESS = { status_code: 2000, status: 'success' } as const;

export interface SdpFailureBody {
  response_status: {
    status_code: 4000;
    status: 'failed';
    messages: Array<{ status_code: number; type: 'failed'; message: string; field?: string }>;
  };
}

export function sdpFailure(statusCode: number, message: string, field?: string): SdpFailureBody {
  const detail =
    field === undefined
      ? { status_code: statusCode, type: 'failed' as const, message }
      : { status_code: statusCode, type: 'failed' as const, message, field };
  return { response_status: { status_code: 4000, status: 'failed', messages: [detail] } };
}

/** SDP's refusal of names not in the portal's lists: one 4001 message per field (the documented shape). */
export function invalidValues(fields: readonly string[]): SdpFailureBody {
  const messages = fields.map((field) => ({
    status_code: 4001,
    type: 'failed' as const,
    message: `Value given for ${field} is not valid`,
    field,
  }));
  return { response_status: { status_code: 4000, status: 'failed', messages } };
}

export const INVALID_API_KEY = sdpFailure(4022, 'Invalid API key received');
export const NOT_FOUND = sdpFailure(4007, 'Invalid URL or Resource not found');

/** The SDP code and message real SDP pairs with an HTTP status, for injected faults. */
export function faultBody(httpStatus: number): SdpFailureBody {
  if (httpStatus === 401) return INVALID_API_KEY;
  if (httpStatus === 403)
    return sdpFailure(4002, 'Forbidden: the technician has no permission for this operation');
  if (httpStatus === 404) return NOT_FOUND;
  if (httpStatus === 429) return sdpFailure(4015, 'API request limit reached, try again later');
  if (httpStatus >= 500) return sdpFailure(4004, 'Internal error');
  return sdpFailure(4000, 'Request failed');
}

/** A fault on Zoho's token endpoint, in Zoho's shape. */
export function tokenFaultBody(httpStatus: number): { error: string } {
  if (httpStatus === 429) return { error: 'Access Denied' };
  if (httpStatus >= 500) return { error: 'server_error' };
  return { error: 'invalid_request' };
}

/** What a portal behind a misconfigured proxy or SSO answers instead of JSON. */
export const NOT_JSON_PAGE =
  '<!DOCTYPE html><html><body><h1>Sandbox: maintenance in progress</h1></body></html>';
