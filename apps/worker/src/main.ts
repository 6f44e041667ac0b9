import { ConfigError, createLogger, loadConfig } from '@ai-agents/shared';
import closeWithGrace from 'close-with-grace';
import { startWorker } from './start.js';

let config: ReturnType<typeof loadConfig<'worker'>>;
try {
  config = loadConfig(process.env, 'worker');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`worker: ${error.message}`);
  process.exit(1);
}

const logger = createLogger({ name: 'worker', level: config.logLevel });

try {
  const running = await startWorker(config, logger);
  // SIGTERM: finish in-flight jobs within the bound; a job still running when it expires is released
  // by its lapsed lock and completed by another worker (stalled-job recovery), so nothing is lost.
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down; finishing in-flight jobs');
    await running.close();
  });
  logger.info({ concurrency: config.concurrency }, 'worker started');
} catch (error) {
  logger.fatal({ err: error }, `worker failed to start: ${(error as Error).message}`);
  process.exit(1);
}
