import { JOB_KINDS, jobKindForEvent, WEBHOOK_EVENTS } from '@ai-agents/shared';
import { describe, expect, it } from 'vitest';
import type { EnhanceDeps } from './enhance-ticket.js';
import { createProcessors, isJobKind, type Processors } from './index.js';

describe('the job registry and the processor map', () => {
  it('has a processor for every job kind and every handled event, and none for anything else', () => {
    const processors = createProcessors({} as EnhanceDeps);
    expect(Object.keys(processors).sort()).toEqual(Object.keys(JOB_KINDS).sort());
    for (const event of WEBHOOK_EVENTS) expect(isJobKind(jobKindForEvent(event), processors)).toBe(true);
    expect(jobKindForEvent('request.created')).toBe('enhance-ticket');
    expect(jobKindForEvent('request.closed')).toBe('ingest-history');
    expect(() => jobKindForEvent('request.deleted')).toThrow('No job kind handles the event request.deleted');
    expect(isJobKind('toString', processors)).toBe(false);
    expect(isJobKind('enhance', processors)).toBe(false);
  });

  it('does not compile a processor map that misses a kind or adds one (checked by npm run typecheck)', () => {
    const enhance = createProcessors({} as EnhanceDeps)['enhance-ticket'];
    // @ts-expect-error ingest-history has no processor
    const missing: Processors = { 'enhance-ticket': enhance };
    const history = createProcessors({} as EnhanceDeps)['ingest-history'];
    // @ts-expect-error no job kind is called "reindex"
    const extra: Processors = { 'enhance-ticket': enhance, 'ingest-history': history, reindex: history };
    expect([missing, extra]).toHaveLength(2);
  });
});
