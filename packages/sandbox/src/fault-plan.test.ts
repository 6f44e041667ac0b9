import { describe, expect, it } from 'vitest';
import { createFaultBoard } from './fault-plan.js';

function outcomes(
  board: ReturnType<typeof createFaultBoard<'a' | 'b'>>,
  route: 'a' | 'b',
  n: number,
): string[] {
  return Array.from({ length: n }, () => board.decide(route).outcome.type);
}

describe('fault plans', () => {
  it('fails exactly the next N calls, then lets calls through', () => {
    const board = createFaultBoard<'a' | 'b'>();
    board.set('a', { failNext: 2, status: 500 });
    expect(board.decide('a').outcome).toEqual({ type: 'fail', status: 500, retryAfterSeconds: undefined });
    expect(outcomes(board, 'a', 3)).toEqual(['fail', 'pass', 'pass']);
  });

  it('fails the same calls on every run for a failRate', () => {
    const run = () => {
      const board = createFaultBoard<'a' | 'b'>();
      board.set('all', { failRate: 0.3 });
      return outcomes(board, 'a', 200);
    };
    const first = run();
    expect(run()).toEqual(first);
    const failures = first.filter((o) => o === 'fail').length;
    expect(failures).toBeGreaterThan(40);
    expect(failures).toBeLessThan(80);
  });

  it('applies a route’s own plan before the plan for all routes', () => {
    const board = createFaultBoard<'a' | 'b'>();
    board.set('all', { status: 503 });
    board.set('a', { latencyMs: 20 });
    expect(board.decide('a')).toEqual({ latencyMs: 20, outcome: { type: 'pass' } });
    expect(board.decide('b').outcome.type).toBe('fail');
    board.clear();
    expect(board.decide('b').outcome.type).toBe('pass');
  });

  it('refuses plans with typos or out-of-range values', () => {
    const board = createFaultBoard<'a'>();
    expect(() => board.set('a', { failnext: 1 } as never)).toThrow('unknown key "failnext"');
    expect(() => board.set('a', { failRate: 2 })).toThrow('failRate');
    expect(() => board.set('a', { status: 200 })).toThrow('status');
  });
});
