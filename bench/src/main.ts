/**
 * `npm run bench [-- --quick] [-- --no-fail]`: measures the real API and worker against reference
 * handlers in the same run on this machine, checks the targets, and writes
 * bench/results/latest.{json,md,png} (a full run only: --quick writes quick.*, --only=a,b writes
 * only-a,b.*, so latest.* always holds a full run). Exit 0 when every measured target is met (or --no-fail),
 * 1 when one is missed or a scenario failed, 2 for a bad command line.
 * All traffic goes to 127.0.0.1; every scenario is bounded in count and time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { createPeakRss, ROOT, stopAll } from './processes.js';
import { chartPng, chartSvg } from './report/chart.js';
import { markdownSummary, targetsTable } from './report/markdown.js';
import { checkTargets, FAST_LLM_MS, REALISTIC_LLM_MS } from './report/targets.js';
import { type BenchResults, resultsName } from './results.js';
import { runConcurrency } from './scenarios/concurrency.js';
import { runCounts } from './scenarios/counts.js';
import { runEndToEnd } from './scenarios/end-to-end.js';
import { runIntake } from './scenarios/intake.js';
import { runRetrieval } from './scenarios/retrieval.js';
import { runRetrievalByMeaning } from './scenarios/retrieval-embedding.js';
import { runSweep } from './scenarios/sweep.js';
import { runWorkerPipeline } from './scenarios/worker-pipeline.js';
import { type Stack, startStack } from './stack.js';

const concurrencyRuns = (opts: {
  fastLevels: number[];
  fastWindowSec: number;
  realisticWindowSec: number;
}) => [
  ...opts.fastLevels.map((concurrency) => ({
    llmLatencyMs: FAST_LLM_MS,
    concurrency,
    workers: 1,
    windowSec: opts.fastWindowSec,
  })),
  ...[100, 200].map((concurrency) => ({
    llmLatencyMs: REALISTIC_LLM_MS,
    concurrency,
    workers: 1,
    windowSec: opts.realisticWindowSec,
  })),
  // Scale-out: two processes at 100 each against one of them at 100 (the row above).
  { llmLatencyMs: REALISTIC_LLM_MS, concurrency: 100, workers: 2, windowSec: opts.realisticWindowSec },
];

const PROFILES = {
  full: {
    intake: { connections: 50, durationSec: 10, warmupSec: 2 },
    pipeline: { jobs: 3000, concurrency: 20 },
    // At 2 s a window of 10 s is five LLM latencies; the slots are staggered (see concurrency.ts).
    concurrency: {
      runs: concurrencyRuns({ fastLevels: [50, 100, 200], fastWindowSec: 8, realisticWindowSec: 10 }),
    },
    endToEnd: { ticketsPerSecond: 20, durationSec: 15, llmLatencyMs: 200 },
    counts: { webhooks: 300, jobs: 300 },
    retrieval: { totalTickets: 250_000, tenants: 25, largeTenant: 50_000, queries: 500, maxSeconds: 45 },
    retrievalMeaning: { tickets: 50_000, queries: 500, maxSeconds: 45 },
    // 1,000 idle tenants and 5 with one new ticket each; 30 s between sweeps, so two never overlap.
    sweep: { tenants: 1000, busy: 5, intervalSec: 30 },
    // Hard stop short of the 10 minutes the full run may take.
    watchdogSec: 9.5 * 60,
  },
  quick: {
    intake: { connections: 50, durationSec: 3, warmupSec: 1 },
    pipeline: { jobs: 600, concurrency: 20 },
    // The targets' runs and one context row: the quick run must stay under two minutes.
    concurrency: { runs: concurrencyRuns({ fastLevels: [200], fastWindowSec: 3, realisticWindowSec: 3 }) },
    endToEnd: { ticketsPerSecond: 20, durationSec: 5, llmLatencyMs: 200 },
    counts: { webhooks: 100, jobs: 100 },
    retrieval: { totalTickets: 10_000, tenants: 25, largeTenant: 2_000, queries: 150, maxSeconds: 3 },
    retrievalMeaning: { tickets: 2_000, queries: 150, maxSeconds: 3 },
    sweep: { tenants: 200, busy: 3, intervalSec: 5 },
    watchdogSec: 115,
  },
} as const;

const SCENARIOS = [
  'intake',
  'pipeline',
  'concurrency',
  'e2e',
  'counts',
  'retrieval',
  'retrieval-scale',
  'retrieval-meaning',
  'sweep',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const USAGE = `usage: npm run bench [-- --quick] [-- --no-fail] [-- --only=a,b] [-- --cpu-prof]
  --quick      shorter runs (under 2 minutes) for development; retrieval uses 10,000 tickets;
               writes bench/results/quick.*
  --no-fail    report missed targets but exit 0
  --only=LIST  run only these scenarios: ${SCENARIOS.join(', ')};
               writes bench/results/only-LIST.*
  --cpu-prof   start the API and workers with node --cpu-prof (profiles in bench/results/profiles)`;

interface Args {
  quick: boolean;
  noFail: boolean;
  only: Set<Scenario>;
  /** Whether --only was given: such a run is not a full run, whatever it lists. */
  partial: boolean;
  cpuProf: boolean;
}

function parseArgs(argv: string[]): Args {
  const known = new Set(['--quick', '--no-fail', '--cpu-prof', '--help', '-h']);
  const only = new Set<Scenario>(SCENARIOS);
  const unknown: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('--only=')) {
      only.clear();
      for (const name of arg.slice('--only='.length).split(',')) {
        if (!(SCENARIOS as readonly string[]).includes(name)) unknown.push(`--only=${name}`);
        else only.add(name as Scenario);
      }
    } else if (!known.has(arg)) unknown.push(arg);
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  if (unknown.length > 0) {
    console.error(`bench: unknown option ${unknown.join(' ')}\n${USAGE}`);
    process.exit(2);
  }
  return {
    quick: argv.includes('--quick'),
    noFail: argv.includes('--no-fail'),
    only,
    partial: argv.some((a) => a.startsWith('--only=')),
    cpuProf: argv.includes('--cpu-prof'),
  };
}

const benchStart = performance.now();
const say = (message: string) =>
  process.stderr.write(
    `[bench ${((performance.now() - benchStart) / 1000).toFixed(1).padStart(5)} s] ${message}\n`,
  );

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const mode = args.quick ? 'quick' : 'full';
  const profile = PROFILES[mode];
  const startedAt = new Date();
  const t0 = performance.now();
  const results: BenchResults = {
    mode,
    ...(args.partial ? { only: [...args.only] } : {}),
    startedAt: startedAt.toISOString(),
    durationSec: 0,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: totalmem() / 1024 ** 3,
      node: process.versions.node,
      os: `Linux ${release()}`,
    },
    scenarios: {},
    failures: [],
    targets: [],
  };

  // Past the time budget the running scenario's processes are stopped (so it fails at once), no
  // further scenario starts, and the results so far are still written. A hard exit backs this up.
  let overTime = false;
  const watchdog = setTimeout(() => {
    overTime = true;
    say(`still running after ${profile.watchdogSec} s: stopping the scenario in progress`);
    void stopAll();
    setTimeout(() => process.exit(1), 30_000).unref();
  }, profile.watchdogSec * 1000);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping`);
      void stopAll().finally(() => process.exit(130));
    });
  }

  const peak = createPeakRss();
  let stack: Stack | undefined;
  const attempt = async (name: Scenario, fn: (s: Stack) => Promise<void>) => {
    if (!stack || !args.only.has(name)) return;
    if (overTime) {
      results.failures.push({ scenario: name, error: `not run: over the ${profile.watchdogSec} s budget` });
      return;
    }
    try {
      await fn(stack);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      say(`${name} failed: ${message}`);
      results.failures.push({ scenario: name, error: message });
    }
  };
  try {
    stack = await startStack(peak, say, {
      nodeArgs: args.cpuProf
        ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench', 'results', 'profiles')}`]
        : [],
    });
    await attempt('intake', async (s) => {
      results.scenarios.intake = await runIntake(s, profile.intake, say);
    });
    await attempt('pipeline', async (s) => {
      results.scenarios.workerPipeline = await runWorkerPipeline(s, profile.pipeline, say);
    });
    await attempt('concurrency', async (s) => {
      results.scenarios.concurrency = await runConcurrency(s, profile.concurrency, say);
    });
    await attempt('e2e', async (s) => {
      results.scenarios.endToEnd = await runEndToEnd(s, profile.endToEnd, say);
    });
    results.scenarios.memory = { peakRssMb: peak.peaks() };
    await attempt('counts', async (s) => {
      results.scenarios.counts = await runCounts(s, profile.counts, say);
    });
    await attempt('retrieval', async (s) => {
      const { oneTenant, atScale } = await runRetrieval(s, profile.retrieval, say);
      results.scenarios.retrieval = oneTenant;
      results.scenarios.retrievalAtScale = atScale;
    });
    await attempt('retrieval-meaning', async (s) => {
      results.scenarios.retrievalByMeaning = await runRetrievalByMeaning(s, profile.retrievalMeaning, say);
    });
    await attempt('sweep', async (s) => {
      results.scenarios.sweep = await runSweep(s, profile.sweep, say);
    });
  } catch (error) {
    results.failures.push({
      scenario: 'setup',
      error: error instanceof Error ? error.message : String(error),
    });
    say(`setup failed: ${(error as Error).message}`);
  } finally {
    peak.close();
    await stack?.close();
    await stopAll();
  }

  results.durationSec = (performance.now() - t0) / 1000;
  results.targets = checkTargets(results);
  const dir = join(ROOT, 'bench', 'results');
  const name = resultsName({ quick: args.quick, only: args.partial ? [...args.only] : undefined });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdownSummary(results));
  writeFileSync(join(dir, `${name}.png`), chartPng(chartSvg(results)));
  console.log(`\n${targetsTable(results)}\n`);
  say(`wrote bench/results/${name}.json, ${name}.md and ${name}.png in ${results.durationSec.toFixed(0)} s`);

  const missed = results.targets.filter((t) => t.pass === false).length + results.failures.length;
  if (missed === 0) return 0;
  say(`${missed} target(s) missed${args.noFail ? ' (--no-fail: exit 0)' : ''}`);
  return args.noFail ? 0 : 1;
}

process.exitCode = await main();
// Pools and timers of the in-process fakes are closed; exit explicitly so a stray handle cannot hang.
process.exit(process.exitCode);
