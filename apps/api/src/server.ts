import {
  asyncStdout,
  createLogger,
  loadConfigOrExit,
  startTelemetry,
  trustExtraCertificateAuthorities,
} from '@ai-agents/shared';
import closeWithGrace from 'close-with-grace';

const config = loadConfigOrExit(process.env, 'api');
// Before any connection: the OTLP exporter, or Postgres and Redis over TLS, may sit behind a private CA.
trustExtraCertificateAuthorities(config.extraCaCertificates);

// One line per request: written asynchronously, so logging does not block the event loop on write().
const logger = createLogger({ name: 'api', level: config.logLevel }, asyncStdout());
// Tracing starts before the app's modules load, so Fastify, pg and ioredis are instrumented.
const telemetry = await startTelemetry(config.telemetry, 'ai-agents-api');

try {
  const { createApi } = await import('./start.js');
  const app = await createApi(config, logger);
  // SIGTERM: stop accepting, let in-flight requests finish, close pools; exit before the pod's grace period ends.
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await app.close();
    await telemetry.shutdown();
  });
  await app.listen({ host: config.host, port: config.port });
} catch (error) {
  logger.fatal({ err: error }, `api failed to start: ${(error as Error).message}`);
  process.exit(1);
}
