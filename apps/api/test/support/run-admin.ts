import { vi } from 'vitest';
import { runAdmin } from '../../src/admin/main.js';

/** Runs the operator CLI in-process and captures what it prints, as a terminal would see it. */
export async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
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
    const code = await runAdmin(args);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
