import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS, safeErrorMessage, serializeError } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino(
    { redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } },
    stream,
  );
  return { logger, text: () => lines.join('') };
}

class QueryError extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    cause: Error,
  ) {
    super(`Failed query: ${query}\nparams: ${params.join(',')}`, { cause });
  }
}

describe('logger', () => {
  it('redacts credentials, signatures and ticket text', () => {
    const { logger, text } = capture();
    logger.info({
      req: { headers: { authorization: 'Bearer sk-live', 'x-webhook-signature': 'sha256=abc' } },
      sdp: { technicianKey: 'tk-123', refreshToken: 'rt-456' },
      ticket: { subject: 'My password is hunter2', description: 'call me at 555-0100' },
    });
    const out = text();
    for (const secret of ['sk-live', 'sha256=abc', 'tk-123', 'rt-456', 'hunter2', '555-0100'])
      expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('logs a failed database query without its parameters', () => {
    const { logger, text } = capture();
    const error = new QueryError(
      'insert into ticket_history values ($1)',
      ['Printer password is hunter2'],
      new Error('duplicate key'),
    );
    logger.error({ err: error }, 'write failed');
    expect(text()).not.toContain('hunter2');
    expect(text()).toContain('Database query failed: duplicate key');
    expect(safeErrorMessage(error)).toBe('Database query failed: duplicate key');
  });
});
