import type { TargetCheck } from './report/targets.js';
import type { ConcurrencyResult } from './scenarios/concurrency.js';
import type { CountsResult } from './scenarios/counts.js';
import type { EndToEndResult } from './scenarios/end-to-end.js';
import type { IntakeResult } from './scenarios/intake.js';
import type { RetrievalResult } from './scenarios/retrieval.js';
import type { EmbeddingRetrievalResult } from './scenarios/retrieval-embedding.js';
import type { SweepResult } from './scenarios/sweep.js';
import type { WorkerPipelineResult } from './scenarios/worker-pipeline.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
}

/** What bench/results/latest.json (and quick.json, only-*.json) holds. */
export interface BenchResults {
  mode: 'full' | 'quick';
  /** The scenarios of an --only run; absent when every scenario ran. */
  only?: string[];
  startedAt: string;
  durationSec: number;
  command: string;
  machine: MachineInfo;
  scenarios: {
    intake?: IntakeResult;
    workerPipeline?: WorkerPipelineResult;
    concurrency?: ConcurrencyResult;
    endToEnd?: EndToEndResult;
    counts?: CountsResult;
    retrieval?: RetrievalResult;
    retrievalAtScale?: RetrievalResult;
    /** The one-tenant history's LSA fit, and retrieval with the embedding scan and fusion included. */
    retrievalByMeaning?: EmbeddingRetrievalResult;
    sweep?: SweepResult;
    memory?: { peakRssMb: Record<string, number> };
  };
  /** Scenarios that threw, with the reason; their targets count as missed. */
  failures: Array<{ scenario: string; error: string }>;
  targets: TargetCheck[];
}

/**
 * The file name (without extension) of a run's results under bench/results: latest.* holds full
 * runs only, so a quick or partial run never replaces the numbers a full run left there.
 */
export function resultsName(run: { quick: boolean; only?: readonly string[] }): string {
  const only = run.only ? `only-${run.only.join(',')}` : '';
  if (run.quick) return only ? `quick-${only}` : 'quick';
  return only || 'latest';
}
