import { ConfigError, createLogger, loadConfig } from '@ai-agents/shared';
import closeWithGrace from 'close-with-grace';
import { createApi } from './start.js';

let config: ReturnType<typeof loadConfig<'api'>>;
try {
  config = loadConfig(process.env, 'api');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`api: ${error.message}`);
  process.exit(1);
}

const logger = createLogger({ name: 'api', level: config.logLevel });

try {
  const app = await createApi(config, logger);
  // SIGTERM: stop accepting, let in-flight requests finish, close pools; exit before the pod's grace period ends.
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await app.close();
  });
  await app.listen({ host: config.host, port: config.port });
} catch (error) {
  logger.fatal({ err: error }, `api failed to start: ${(error as Error).message}`);
  process.exit(1);
}
