/**
 * The sum of one counter's samples (every label set) in a Prometheus text exposition, or undefined when
 * the worker does not answer. Reads at most 4 MB, line by line: the worker's /metrics is small.
 */
export async function counterTotal(metricsUrl: string, name: string): Promise<number | undefined> {
  let text: string;
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    text = (await res.text()).slice(0, 4 * 1024 * 1024);
  } catch {
    return undefined;
  }
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
