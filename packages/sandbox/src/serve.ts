import { readFileSync } from 'node:fs';
import { startFakeLlm } from './fake-llm/index.js';
import { startFakeServiceDesk } from './fake-servicedesk/index.js';

// Process entry for docker compose, `npm run demo` and bench: both fakes on fixed ports. The sandbox
// stands apart from the service's own config, so it reads its variables here. With
// SANDBOX_TLS_CERT_FILE and SANDBOX_TLS_KEY_FILE (PEM) the fake ServiceDesk Plus answers over https,
// which production mode requires of a portal (npm run test:images).

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`${name} must be a port number 0..65535, got "${raw}"`);
  }
  return value;
}

// Published so a Cloud-mode tenant can be pointed at the sandbox; these are not real credentials.
const SANDBOX_OAUTH = {
  clientId: 'sandbox-client-id',
  clientSecret: 'sandbox-client-secret',
  refreshToken: 'sandbox-refresh-token',
};

const log = (fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));

async function start() {
  const host = process.env.SANDBOX_HOST || '127.0.0.1';
  const sdpPort = port('SANDBOX_SDP_PORT', 8081);
  const llmPort = port('SANDBOX_LLM_PORT', 8082);
  const certFile = process.env.SANDBOX_TLS_CERT_FILE || undefined;
  const keyFile = process.env.SANDBOX_TLS_KEY_FILE || undefined;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new Error('SANDBOX_TLS_CERT_FILE and SANDBOX_TLS_KEY_FILE go together');
  const tls =
    certFile && keyFile
      ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
      : undefined;
  const sdp = await startFakeServiceDesk({
    host,
    port: sdpPort,
    oauth: SANDBOX_OAUTH,
    ...(tls ? { tls } : {}),
  });
  try {
    return { sdp, llm: await startFakeLlm({ host, port: llmPort }) };
  } catch (error) {
    await sdp.close();
    throw error;
  }
}

let servers: Awaited<ReturnType<typeof start>>;
try {
  servers = await start();
} catch (error) {
  // A taken port or a bad variable: one readable line and a non-zero exit, not a stack trace.
  log({
    level: 'error',
    msg: `sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`,
  });
  process.exit(1);
}
const { sdp, llm } = servers;
log({
  level: 'info',
  service: 'fake-servicedesk',
  url: sdp.url,
  accountsUrl: sdp.accountsUrl,
  msg: 'fake ServiceDesk Plus listening',
});
log({ level: 'info', service: 'fake-llm', url: llm.url, msg: 'fake LLM listening' });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log({ level: 'info', signal, msg: 'sandbox stopping' });
  await Promise.all([sdp.close(), llm.close()]);
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
