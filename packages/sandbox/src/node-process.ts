import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (this file sits in packages/sandbox/{src,dist}). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface NodeProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr (pino JSON lines), for failure messages. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs a built entry point (e.g. `apps/worker/dist/main.js`) as a real process, as production does,
 * so a test can SIGKILL or SIGTERM it. The environment is exactly `env` plus PATH.
 */
export function startNodeProcess(script: string, env: Record<string, string>): NodeProcess {
  const child = spawn(process.execPath, [script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // Bounded: the tail is what explains a failure.
    output = (output + chunk.toString('utf8')).slice(-64_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
