import { type Logger, type LoggerOptions, pino } from 'pino';

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

export function createLogger(options: { name: string; level: string } & LoggerOptions): Logger {
  return pino({
    ...options,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
