// Container health check without curl in the image: exits 0 when the URL answers 2xx within 2 s.
// Usage: node docker/healthcheck.mjs http://127.0.0.1:3000/health
const url = process.argv[2];
if (!url) {
  console.error('usage: node docker/healthcheck.mjs URL');
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) console.error(`${url} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
