import type { TargetCheck } from './report/targets.js';
import type { ConcurrencyResult } from './scenarios/concurrency.js';
import type { EndToEndResult } from './scenarios/end-to-end.js';
import type { IntakeResult } from './scenarios/intake.js';
import type { RetrievalResult } from './scenarios/retrieval.js';
import type { WorkerPipelineResult } from './scenarios/worker-pipeline.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
}

/** What bench/results/latest.json holds. */
export interface BenchResults {
  mode: 'full' | 'quick';
  startedAt: string;
  durationSec: number;
  command: string;
  machine: MachineInfo;
  scenarios: {
    intake?: IntakeResult;
    workerPipeline?: WorkerPipelineResult;
    concurrency?: ConcurrencyResult;
    endToEnd?: EndToEndResult;
    retrieval?: RetrievalResult;
    memory?: { peakRssMb: Record<string, number> };
  };
  /** Scenarios that threw, with the reason; their targets count as missed. */
  failures: Array<{ scenario: string; error: string }>;
  targets: TargetCheck[];
}
