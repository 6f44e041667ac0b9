import { describe, expect, it } from 'vitest';
import { createStageTimer } from './stage-timer.js';

describe('createStageTimer', () => {
  it('records the time of each step since the previous one', () => {
    const clock = [100, 102.5, 110, 410.04];
    const timer = createStageTimer(() => clock.shift() ?? Number.NaN);
    timer.mark('claim');
    timer.mark('fetch');
    timer.mark('llm');
    expect(timer.stages()).toEqual({ claim: 2.5, fetch: 7.5, llm: 300 });
  });
});
