import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { traceLogFields } from './telemetry.js';

export type { Logger };

/**
 * Paths whose values never reach a log line: credentials, signatures and ticket text.
 * Ticket bodies are customer data; log request ids instead.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.authtoken',
  'req.headers["x-webhook-signature"]',
  'req.headers["x-webhook-token"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers.authtoken',
  'headers["x-webhook-signature"]',
  'headers["x-webhook-token"]',
  '*.password',
  '*.secret',
  '*.webhookSecret',
  '*.technicianKey',
  '*.clientSecret',
  '*.refreshToken',
  '*.accessToken',
  '*.apiKey',
  '*.token',
  '*.signature',
  'description',
  '*.description',
  'subject',
  '*.subject',
  'body',
  '*.body',
];

/** `destination` defaults to stdout; tests pass a stream to read what would have been logged. */
export function createLogger(
  options: { name: string; level: string } & LoggerOptions,
  destination?: DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    ...options,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    // Every line logged inside a traced operation carries trace_id and span_id.
    mixin: traceLogFields,
  };
  return destination ? pino(settings, destination) : pino(settings);
}

/**
 * Standard output written asynchronously and in batches: lines collect up to 4 KB (or for at most a
 * second) and go out in one write, instead of one write() per line; pino flushes what is left
 * synchronously when the process exits. For services with a log line per request (the API): at
 * webhook rates one write per line was about a tenth of the API's CPU (npm run bench, --cpu-prof).
 */
export function asyncStdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  // A quiet service still shows its lines within a second.
  setInterval(() => {
    try {
      stream.flush();
    } catch {
      // Destroyed at shutdown: pino has flushed it already.
    }
  }, 1000).unref();
  return stream;
}

/**
 * Errors as log fields, minus what must not be logged: a failed database query carries its SQL
 * parameters (ticket text, encrypted secrets) in its message and fields, so only the cause is kept.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as
    | Record<string, unknown>
    | undefined;
  if (!serialized || typeof serialized !== 'object') return serialized;
  if ('params' in serialized || 'query' in serialized) {
    delete serialized.params;
    delete serialized.query;
    serialized.message = safeErrorMessage(error);
    serialized.stack = undefined;
  }
  return serialized;
}

/** An error's message that is safe to log or store: database errors are reduced to Postgres' own message. */
export function safeErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if ('params' in error || 'query' in error) {
    const cause = error.cause instanceof Error ? error.cause.message : 'unknown cause';
    return `Database query failed: ${cause}`;
  }
  return error.message;
}
