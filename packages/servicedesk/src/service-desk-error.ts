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
  /** The envelope's status_code (4000 for input problems). */
  sdpEnvelopeCode?: number;
  /** Input fields SDP named as the cause, e.g. ["request_note"]. */
  sdpFields?: readonly string[];
  /** SDP's message texts (redacted), e.g. ["EXTRA_KEY_FOUND_IN_JSON"]. */
  sdpMessages?: readonly string[];
  /** The OAuth token lacks the scope for this call: a permission problem, not a dead token. */
  scopeMismatch?: boolean;
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
  readonly sdpEnvelopeCode?: number;
  readonly sdpFields: readonly string[];
  readonly sdpMessages: readonly string[];
  readonly scopeMismatch: boolean;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, details: ServiceDeskErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.httpStatus = details.httpStatus;
    this.sdpStatusCode = details.sdpStatusCode;
    this.sdpEnvelopeCode = details.sdpEnvelopeCode;
    this.sdpFields = details.sdpFields ?? [];
    this.sdpMessages = details.sdpMessages ?? [];
    this.scopeMismatch = details.scopeMismatch ?? false;
    this.retryable = details.retryable ?? retryableByDefault[details.kind];
    this.retryAfterMs = details.retryAfterMs;
  }
}
