import { ConfigError } from '@ai-agents/shared';
import { Command, CommanderError } from 'commander';
import { registerHistoryCommands } from './commands/history.js';
import { registerTenantCommands } from './commands/tenant.js';
import { AdminError } from './context.js';

/**
 * Operator CLI: `npm run admin -- <command>` (in the API image: `node apps/api/dist/admin/main.js`).
 * Exit codes: 0 done, 1 the operation failed (message on stderr), 2 the command line was wrong.
 */
export function buildProgram(): Command {
  const program = new Command('admin')
    .description('ai-agents operator commands')
    .option('--json', 'print results as JSON (for scripts)')
    .option('--actor <name>', 'who is acting, for the audit log (default: the OS user)')
    .showHelpAfterError()
    .exitOverride();
  registerTenantCommands(program);
  registerHistoryCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function runAdmin(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof AdminError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runAdmin(process.argv.slice(2));
}
