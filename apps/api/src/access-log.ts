import type { Logger } from '@ai-agents/shared';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';

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

type Bindings = Parameters<Logger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<Logger['child']>[1]>;
type Child = ReturnType<Logger['child']>;
const LOG_METHODS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type LogMethod = (typeof LOG_METHODS)[number];

/**
 * `request.log` as a stand-in that makes its pino child (bound to the request id) when a route
 * first writes through it. Fastify's default makes the child for every request, and pino runs the
 * logger's redaction over the bindings as it does: 1.4 % of the API's CPU at webhook rates
 * (npm run bench -- --only=intake --cpu-prof: `createChildLogger`), while an accepted webhook
 * writes only its access line (above, from the request's own fields). A line written through it is
 * the line the child would write: same bindings, options and destination.
 */
class LazyRequestLogger {
  #child: Child | undefined;
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #logger(): Child {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.#logger.isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.#logger.bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Child {
    return this.#logger.child(bindings, options);
  }

  flush(callback?: (error?: Error) => void): void {
    this.#logger.flush(callback);
  }

  write(method: LogMethod, args: unknown[]): void {
    (this.#logger[method] as (...a: unknown[]) => void)(...args);
  }
}

// info(), warn(), … on the prototype: one shared function each, no closure per request.
for (const method of LOG_METHODS) {
  Object.defineProperty(LazyRequestLogger.prototype, method, {
    value(this: LazyRequestLogger, ...args: unknown[]) {
      this.write(method, args);
    },
  });
}

/** Fastify's childLoggerFactory (app.ts): a LazyRequestLogger per request. */
export function lazyRequestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  // The app's logger is the service's pino Logger (app.ts: loggerInstance).
  return new LazyRequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
