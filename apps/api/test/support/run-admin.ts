import { Readable } from 'node:stream';
import { vi } from 'vitest';
import { runAdmin } from '../../src/admin/main.js';

/** Runs the operator CLI in-process and captures what it prints, as a terminal would see it. */
export async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return capture(() => runAdmin(args));
}

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += chunk;
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += chunk;
    return true;
  });
  try {
    const code = await run();
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The same, with `input` on standard input (as `echo … | npm run admin -- …`). */
export async function adminWithStdin(
  input: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  return capture(() => runAdmin(args, { stdin: Readable.from([input]) }));
}
