import { readFileSync, writeFileSync } from 'node:fs';
import { encodeLsaFit, fitLsa } from '@ai-agents/retrieval';

/*
 * The LSA fit alone, in a process of its own (started by retrieval-embedding.ts), so its time and
 * peak memory are the fit's and not the bench's: argv[2] is a JSON array of the history's texts,
 * argv[3] where the encoded fit goes; one JSON line on stdout says what it took.
 */

/** The process's peak resident set (VmHWM, Linux), in MB; null elsewhere. */
function peakRssMb(): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

const [textsFile, fitFile] = process.argv.slice(2);
if (!textsFile || !fitFile) throw new Error('usage: lsa-fit-child.js TEXTS.json FIT.bin');
const texts = JSON.parse(readFileSync(textsFile, 'utf8')) as string[];
const rssBeforeMb = process.memoryUsage().rss / 1024 / 1024;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const model = fitLsa(texts);
const fitSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const peakMb = peakRssMb() ?? process.memoryUsage().rss / 1024 / 1024;
writeFileSync(fitFile, encodeLsaFit(model));
process.stdout.write(
  `${JSON.stringify({
    fitSeconds,
    fitCpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBeforeMb,
    peakRssMb: peakMb,
    terms: model.terms.length,
  })}\n`,
);
