import { register } from 'node:module';
import { context, propagation, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { TraceCarrier } from './jobs.js';

export interface TelemetryConfig {
  enabled: boolean;
  serviceName: string;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when an exporter is configured (see `loadConfig`); the SDK reads the
 * standard OTEL_* variables itself (endpoint, protocol, headers, sampler, resource attributes).
 * Call it before the modules to instrument are imported: ESM imports are patched through the
 * import-in-the-middle loader hook, which only sees modules loaded after it is registered. When
 * tracing is off, nothing is loaded and the OpenTelemetry API stays a no-op.
 */
export async function startTelemetry(config: TelemetryConfig, serviceName: string): Promise<Telemetry> {
  if (!config.enabled) return { shutdown: async () => {} };
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK }, http, undici, pg, ioredis] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  const sdk = new NodeSDK({
    serviceName: config.serviceName || serviceName,
    // Incoming and outgoing HTTP (webhooks, ServiceDesk Plus and the LLM via fetch), Postgres, Redis.
    instrumentations: [
      new http.HttpInstrumentation({
        // Probes and scrapes every few seconds would drown the traces that matter.
        ignoreIncomingRequestHook: (request) => /^\/(health|ready|metrics)\b/.test(request.url ?? ''),
      }),
      new undici.UndiciInstrumentation(),
      new pg.PgInstrumentation(),
      // Never record Redis command arguments: job payloads and keys stay out of the trace backend.
      new ioredis.IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** The current trace context as W3C headers for a job payload, or undefined when nothing is traced. */
export function currentTraceCarrier(): TraceCarrier | undefined {
  // Without an active span (tracing off) there is nothing to carry: skip the propagator entirely.
  if (!trace.getActiveSpan()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return undefined;
  return carrier.tracestate
    ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
    : { traceparent: carrier.traceparent };
}

const tracer = trace.getTracer('ai-agents');

/**
 * Runs `fn` inside a span named `name`, as a child of the carried trace context when one is given
 * (a job continuing the webhook's trace). Errors mark the span and are rethrown.
 */
export function inSpan<T>(name: string, fn: (span: Span) => Promise<T>, carrier?: TraceCarrier): Promise<T> {
  const parent = carrier ? propagation.extract(context.active(), carrier) : context.active();
  return tracer.startActiveSpan(name, {}, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** trace_id/span_id of the active span for log lines, so a log line leads to its trace. */
export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
