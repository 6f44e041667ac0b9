// Container health check without curl in the image: exits 0 when the URL answers 2xx within 2 s.
// Usage: node docker/healthcheck.mjs URL [PORT_VARIABLE [TLS_VARIABLE]]
//   node docker/healthcheck.mjs http://127.0.0.1:3000/health PORT
// With PORT_VARIABLE, a set and non-empty environment variable of that name replaces the URL's port,
// so the check follows the port the process was started with (the check runs with the container's
// environment); the URL's port is the default. With TLS_VARIABLE set and non-empty in the
// environment, the check uses https (the process then serves TLS; NODE_EXTRA_CA_CERTS trusts it).
const [url, portVariable, tlsVariable] = process.argv.slice(2);
if (!url) {
  console.error('usage: node docker/healthcheck.mjs URL [PORT_VARIABLE [TLS_VARIABLE]]');
  process.exit(2);
}
const target = new URL(url);
const port = portVariable ? process.env[portVariable] : undefined;
if (port) target.port = port;
if (tlsVariable && process.env[tlsVariable]) target.protocol = 'https:';
try {
  const response = await fetch(target, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) console.error(`${target} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${target}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
