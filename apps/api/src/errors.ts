/** An error whose message is safe to show to the caller, with the status code it maps to. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

// One body for every authentication failure (bad signature, stale timestamp, unknown or disabled
// tenant), so a caller cannot learn which slugs exist.
export const unauthorized = () => new HttpError(401, 'unauthorized', 'Webhook authentication failed');
