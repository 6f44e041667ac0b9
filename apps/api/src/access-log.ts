import type { Logger } from '@ai-agents/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What a route adds to its request's one access line: the message and fields beyond the basics.
 * Identifiers and flags only (slug, event and job id, auth mode): the line skips redaction.
 */
export interface AccessLogFacts {
  msg: string;
  fields: Record<string, string | number | boolean | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    accessLog: AccessLogFacts | null;
  }
}

/**
 * A logger for access lines: the service logger without its redaction. Every field of an access
 * line is built by this module from the request's method, route pattern and status and a route's
 * AccessLogFacts (scalars, never ticket text or credentials), so there is nothing to redact; the
 * redaction paths were a large share of writing the line in the API's profile
 * (npm run bench -- --only=intake --cpu-prof).
 */
export function createAccessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

/**
 * One info line per request, written when the answer is sent: method, route pattern, status and
 * time, plus whatever the route recorded with `request.accessLog` (the webhook route: tenant, auth
 * mode, event and job id). One line with every fact instead of an access line and a route line: at
 * webhook rates each line (serialising, writing) was a visible share of the API's CPU.
 * app.ts declares `accessLog` with decorateRequest (null), so every request object has one shape.
 */
export function writeAccessLog(
  logger: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
  route: string,
): void {
  const facts = request.accessLog;
  const basics = {
    reqId: request.id,
    method: request.method,
    route,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
  };
  if (facts) logger.info({ ...facts.fields, ...basics }, facts.msg);
  else logger.info(basics, 'request completed');
}
