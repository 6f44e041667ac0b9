/**
 * Milliseconds spent in each step of one job, logged with "note posted" so an operator (and
 * `npm run bench`) can see where a slow enhancement spent its time. Costs one clock read per step.
 */
export function createStageTimer(now: () => number = () => performance.now()) {
  let last = now();
  const stages: Record<string, number> = {};
  return {
    /** Records the time since the previous mark (or the start) under `stage`. */
    mark(stage: string): void {
      const t = now();
      stages[stage] = Math.round((t - last) * 10) / 10;
      last = t;
    },
    stages: (): Readonly<Record<string, number>> => stages,
  };
}
