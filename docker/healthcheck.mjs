// Container health check without curl in the image: exits 0 when the URL answers 2xx within 2 s.
// Usage: node docker/healthcheck.mjs URL [PORT_VARIABLE]
//   node docker/healthcheck.mjs http://127.0.0.1:3000/health PORT
// With PORT_VARIABLE, a set and non-empty environment variable of that name replaces the URL's port,
// so the check follows the port the process was started with (the check runs with the container's
// environment); the URL's port is the default.
const [url, portVariable] = process.argv.slice(2);
if (!url) {
  console.error('usage: node docker/healthcheck.mjs URL [PORT_VARIABLE]');
  process.exit(2);
}
const target = new URL(url);
const port = portVariable ? process.env[portVariable] : undefined;
if (port) target.port = port;
try {
  const response = await fetch(target, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) console.error(`${target} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${target}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
