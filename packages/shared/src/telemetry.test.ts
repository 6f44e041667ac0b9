import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { eventJobSchema } from './jobs.js';
import { currentTraceCarrier, inSpan, traceLogFields } from './telemetry.js';

const worker = {
  DATABASE_URL: 'postgres://app:pw@db:5432/ai',
  REDIS_URL: 'redis://redis:6379',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  OPENAI_API_KEY: 'sk-test',
};
const tracing = (env: Record<string, string>) =>
  loadConfig({ ...worker, ...env }, 'worker').telemetry.enabled;

describe('telemetry configuration', () => {
  it('is off unless an exporter or an OTLP endpoint is configured', () => {
    expect(tracing({})).toBe(false);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    // An explicit "none" wins over an endpoint, and OTEL_SDK_DISABLED over everything.
    expect(tracing({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      false,
    );
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('gives the worker a health/metrics port, 0 to turn it off', () => {
    expect(loadConfig(worker, 'worker')).toMatchObject({ httpHost: '0.0.0.0', httpPort: 9464 });
    expect(loadConfig({ ...worker, WORKER_HTTP_PORT: '0' }, 'worker').httpPort).toBe(0);
    expect(() => loadConfig({ ...worker, WORKER_HTTP_PORT: '70000' }, 'worker')).toThrow(/WORKER_HTTP_PORT/);
  });

  it('treats an empty OPENAI_BASE_URL as unset, as compose files pass it', () => {
    expect(loadConfig({ ...worker, OPENAI_BASE_URL: '' }, 'worker').llm.baseUrl).toBeUndefined();
    expect(() => loadConfig({ ...worker, OPENAI_BASE_URL: 'not a url' }, 'worker')).toThrow(
      /OPENAI_BASE_URL/,
    );
  });
});

describe('trace context in jobs', () => {
  const job = {
    tenantId: '6f1c1c8e-4f7e-4a53-9f0e-2f1d7c0b9a11',
    eventId: 'e-1',
    event: 'request.created',
    requestId: '42',
    receivedAt: 1_700_000_000_000,
  };

  it('is optional, and validated when present', () => {
    expect(eventJobSchema.safeParse(job).success).toBe(true);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(eventJobSchema.safeParse({ ...job, trace: { traceparent } }).success).toBe(true);
    expect(eventJobSchema.safeParse({ ...job, trace: { traceparent: 'ticket text here' } }).success).toBe(
      false,
    );
    expect(
      eventJobSchema.safeParse({ ...job, trace: { traceparent, tracestate: 'x'.repeat(600) } }).success,
    ).toBe(false);
  });

  it('costs nothing when tracing is off: no carrier, no log fields, spans still run the work', async () => {
    expect(currentTraceCarrier()).toBeUndefined();
    expect(traceLogFields()).toEqual({});
    await expect(inSpan('work', async () => 42)).resolves.toBe(42);
    await expect(
      inSpan('failing', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
