import { runMigrations } from '@ai-agents/db';
import { ConfigError, createLogger, loadConfig, trustExtraCertificateAuthorities } from '@ai-agents/shared';

/**
 * Applies migrations and the application role's grants, then exits: 0 when the schema is current,
 * 1 with a message naming the problem otherwise. Runs as a Kubernetes init container and a compose
 * one-shot service.
 */
async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig<'migrate'>>;
  try {
    config = loadConfig(process.env, 'migrate');
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`migrate: ${error.message}`);
      return 1;
    }
    throw error;
  }
  // A Postgres whose TLS certificate a private CA signed (sslmode=verify-full).
  trustExtraCertificateAuthorities(config.extraCaCertificates);
  const logger = createLogger({ name: 'migrate', level: config.logLevel });
  try {
    await runMigrations({
      databaseUrl: config.databaseUrl,
      appRole: config.appDbRole,
      appPassword: config.appDbPassword,
      log: (message) => logger.info(message),
    });
    return 0;
  } catch (error) {
    logger.error({ err: error }, `migration failed: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main();
