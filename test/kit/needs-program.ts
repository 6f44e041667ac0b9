import { it } from 'vitest';

/**
 * For a suite that needs a program the machine may lack. When `missing` says what is missing, CI
 * (which installs it) fails with that message under `name`, and elsewhere the suite skips saying
 * why. Returns whether the suite can run.
 */
export function suiteCanRun(missing: string | undefined, name: string): boolean {
  if (missing === undefined) return true;
  if (process.env.CI) {
    it(name, () => {
      throw new Error(missing);
    });
  } else {
    console.warn(missing);
    it.skip(missing, () => {});
  }
  return false;
}
