export type ServiceDeskErrorKind =
  | 'auth'
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'invalid_response';

export interface ServiceDeskErrorDetails {
  kind: ServiceDeskErrorKind;
  httpStatus?: number;
  sdpStatusCode?: number;
  /** Overrides the default for the kind (see `retryableByDefault`). */
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

// A caller (the worker) decides between "retry later" and "give up now" from this flag alone, so each
// kind says whether waiting can help: credentials, permissions and missing tickets do not fix themselves.
const retryableByDefault: Record<ServiceDeskErrorKind, boolean> = {
  auth: false,
  forbidden: false,
  not_found: false,
  bad_request: false,
  rate_limited: true,
  server: true,
  timeout: true,
  network: true,
  invalid_response: false,
};

/**
 * Every failure of the ServiceDesk Plus client. The message names the operation and what SDP said;
 * it never contains the technician key, the OAuth tokens or the client secret.
 */
export class ServiceDeskError extends Error {
  override readonly name = 'ServiceDeskError';
  readonly kind: ServiceDeskErrorKind;
  readonly httpStatus?: number;
  readonly sdpStatusCode?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, details: ServiceDeskErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.httpStatus = details.httpStatus;
    this.sdpStatusCode = details.sdpStatusCode;
    this.retryable = details.retryable ?? retryableByDefault[details.kind];
    this.retryAfterMs = details.retryAfterMs;
  }
}
