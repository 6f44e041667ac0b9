import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { imageCommand, parseDockerfile } from './dockerfile.js';
import { sleep } from './stats.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  name: string;
  process: ChildProcess;
  /** Last lines of stderr (and stdout when it is not consumed), for error messages. */
  tail: string[];
  stop(): Promise<void>;
}

const running = new Set<Child>();

/**
 * Starts a process with only the variables given (plus PATH), so nothing from the caller's
 * environment changes what is measured. stdout 'ignore' sends logs to /dev/null: the process
 * still formats and writes every line, which is the cost being measured.
 */
export function startChild(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdout: 'ignore' | 'pipe'; cwd?: string } = { stdout: 'ignore' },
): Child {
  const child = spawn(command, args, {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', opts.stdout, 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    if (tail.length > 20) tail.splice(0, tail.length - 20);
  };
  child.stderr?.on('data', keep);
  const handle: Child = {
    name,
    process: child,
    tail,
    async stop() {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      // Bounded: a child that ignores SIGTERM is killed, so the bench always ends.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  return handle;
}

export function startNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  opts: { stdout: 'ignore' | 'pipe'; args?: string[]; nodeArgs?: string[] } = { stdout: 'ignore' },
): Child {
  return startChild(name, process.execPath, [...(opts.nodeArgs ?? []), entry, ...(opts.args ?? [])], env, {
    stdout: opts.stdout,
  });
}

/** Stops every child still running: used on failure and on SIGINT. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}

export function describeExit(child: Child): string {
  return `${child.name} exited with ${child.process.exitCode ?? child.process.signalCode}:\n    ${child.tail.slice(-10).join('\n    ')}`;
}

/** Polls an HTTP URL until it answers 2xx (or what `ok` accepts), failing early when the child exits. */
export async function waitForHttp(
  child: Child,
  url: string,
  timeoutMs = 20_000,
  opts: { method?: string; ok?: (status: number) => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ok = opts.ok ?? ((status: number) => status >= 200 && status < 300);
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(describeExit(child));
    const res = await fetch(url, {
      method: opts.method ?? 'GET',
      ...(opts.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
    }).catch(() => undefined);
    if (res) await res.body?.cancel();
    if (res && ok(res.status)) return;
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms`);
}

/** Peak resident set size (VmHWM) of a process in MB, or undefined once it has exited. */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the highest VmHWM seen per role. VmHWM is already the process's own peak; polling it
 * while the process lives makes the value survive the process's exit.
 */
export function createPeakRss() {
  const peaks = new Map<string, number>();
  const watched = new Map<Child, string>();
  const sample = () => {
    for (const [child, role] of watched) {
      const mb = peakRssMb(child.process.pid);
      if (mb !== undefined) peaks.set(role, Math.max(peaks.get(role) ?? 0, mb));
    }
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return {
    watch(child: Child, role: string) {
      watched.set(child, role);
      sample();
    },
    /** Takes a last sample of a child about to stop, then forgets it. */
    release(child: Child) {
      sample();
      watched.delete(child);
    },
    peaks(): Record<string, number> {
      sample();
      return Object.fromEntries(peaks);
    },
    close: () => clearInterval(timer),
  };
}

export type PeakRss = ReturnType<typeof createPeakRss>;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. On a machine
 * shared with other work, CPU time per request is steadier than requests per second: it does not
 * count the time the process waited for a core.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the whole machine has been busy so far (every core, every process, the kernel), from
 * the first line of /proc/stat: all time except idle and iowait.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const ticks = fields.slice(0, 8).map(Number);
    const [, , , idle = 0, iowait = 0] = ticks;
    return (ticks.reduce((a, b) => a + b, 0) - idle - iowait) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

// USER_HZ: 100 on every Linux architecture Node.js runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The node flags a Docker image target runs its entry point with (`CMD ["node", ...flags, entry]`
 * in docker/Dockerfile), so the bench starts the service as the image does.
 */
export function imageNodeFlags(target: string, entry: string): string[] {
  const args = imageCommand(parseDockerfile(readFileSync(`${ROOT}docker/Dockerfile`, 'utf8')), target);
  if (args[0] !== 'node' || args[args.length - 1] !== entry)
    throw new Error(`docker/Dockerfile: target ${target} does not run node ${entry}`);
  return args.slice(1, -1);
}
