import {
  createLogger,
  loadConfigOrExit,
  startTelemetry,
  trustExtraCertificateAuthorities,
} from '@ai-agents/shared';
import closeWithGrace from 'close-with-grace';

const config = loadConfigOrExit(process.env, 'worker');
// Before any connection: an on-premises ServiceDesk Plus (or the LLM) behind a private CA (EXTRA_CA_FILE).
trustExtraCertificateAuthorities(config.extraCaCertificates);

const logger = createLogger({ name: 'worker', level: config.logLevel });
// Tracing starts before the worker's modules load, so pg, ioredis and fetch are instrumented.
const telemetry = await startTelemetry(config.telemetry, 'ai-agents-worker');

try {
  const [{ startWorker }, { startWorkerHttp }] = await Promise.all([
    import('./start.js'),
    import('./http-server.js'),
  ]);
  const running = await startWorker(config, logger);
  const http =
    config.httpPort === 0
      ? undefined
      : await startWorkerHttp({
          host: config.httpHost,
          port: config.httpPort,
          registry: running.metrics.registry,
          probe: running.probe,
        });
  // SIGTERM: finish in-flight jobs within the bound; a job still running when it expires is released
  // by its lapsed lock and completed by another worker (stalled-job recovery), so nothing is lost.
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down; finishing in-flight jobs');
    await running.close();
    await http?.close();
    await telemetry.shutdown();
  });
  logger.info({ concurrency: config.concurrency, http: http?.url ?? 'off' }, 'worker started');
} catch (error) {
  logger.fatal({ err: error }, `worker failed to start: ${(error as Error).message}`);
  process.exit(1);
}
