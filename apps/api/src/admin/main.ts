import { ConfigError, safeErrorMessage } from '@ai-agents/shared';
import { Command, CommanderError } from 'commander';
import { registerConnectionCommands } from './commands/connection.js';
import { registerFeedbackCommand } from './commands/feedback.js';
import { registerHistoryCommands } from './commands/history.js';
import { registerJobsCommands } from './commands/jobs.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerNoteCommands } from './commands/note-show.js';
import { registerTenantCommands } from './commands/tenant.js';
import { registerTenantLlmCommand } from './commands/tenant-llm.js';
import { registerUsageCommand } from './commands/usage.js';
import { AdminError, type AdminIo } from './context.js';
import { terminalText } from './terminal-text.js';

/**
 * Operator CLI: `npm run admin -- <command>` (in the API image: `node apps/api/dist/admin/main.js`).
 * Exit codes: 0 done, 1 the operation failed (message on stderr), 2 the command line was wrong.
 *
 * A command file imports statically only what every command loads anyway (commander, the config,
 * the database layer); what one command alone needs (Redis, BullMQ, the retrieval package and its
 * OpenAI client, the CSV parser) it imports in its action with `await import()`, so `tenant export`
 * or `tenant show` does not load them: 90 MB peak resident for `tenant show` instead of 118 MB
 * (docs/tenant-export.md, "How it stays small").
 */
export function buildProgram(io: AdminIo = { stdin: process.stdin }): Command {
  const program = new Command('admin')
    .description('ai-agents operator commands')
    .option('--json', 'print results as JSON (for scripts)')
    .option('--actor <name>', 'who is acting, for the audit log (default: the OS user)')
    .showHelpAfterError()
    .exitOverride();
  registerTenantCommands(program, io);
  registerConnectionCommands(program, io);
  registerHistoryCommands(program);
  registerTenantLlmCommand(program, io);
  registerKeysCommands(program);
  registerUsageCommand(program);
  registerFeedbackCommand(program);
  registerJobsCommands(program);
  registerNoteCommands(program);
  exitOverrideAll(program);
  return program;
}

/** Every (sub)command reports usage errors to runAdmin instead of exiting the process itself. */
function exitOverrideAll(command: Command): void {
  for (const sub of command.commands) {
    sub.exitOverride().showHelpAfterError();
    exitOverrideAll(sub);
  }
}

export async function runAdmin(argv: string[], io?: AdminIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof AdminError) {
      process.stderr.write(`error: ${terminalText(error.message)}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    // A failed query's message carries its parameters (encrypted secrets, names): print only the cause.
    process.stderr.write(`error: ${terminalText(safeErrorMessage(error))}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runAdmin(process.argv.slice(2));
}
