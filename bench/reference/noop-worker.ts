/**
 * The ceiling for the worker pipeline: one process that queues N jobs shaped like ours and drains
 * them with a BullMQ Worker whose processor does nothing. Takes one JSON argument
 * {"redisUrl", "prefix", "jobs", "concurrency"}; prints {"jobsPerSecond", "cpuMsPerJob"} and exits.
 * The rate is taken between the 10th percentile completion and the last, like the real worker's.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const { redisUrl, prefix, jobs, concurrency } = JSON.parse(process.argv[2] ?? '{}') as {
  redisUrl: string;
  prefix: string;
  jobs: number;
  concurrency: number;
};

const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const queue = new Queue('enhance', { connection: producer, prefix });
const tenantId = randomUUID();
for (let i = 0; i < jobs; i += 500) {
  const batch = Array.from({ length: Math.min(500, jobs - i) }, (_, k) => ({
    name: 'enhance-ticket',
    data: {
      tenantId,
      event: 'request.created',
      eventId: `noop-${i + k}`,
      requestId: String(i + k),
      receivedAt: Date.now(),
    },
    opts: { jobId: `noop-${i + k}`, attempts: 8, removeOnComplete: { age: 24 * 3600, count: 10_000 } },
  }));
  await queue.addBulk(batch);
}

let done = 0;
let cpuMsPerJob = Number.NaN;
let startedAt = 0;
let cpuAtStart = process.cpuUsage();
const fromJob = Math.floor(jobs * 0.1);
const finished = new Promise<number>((resolve) => {
  const worker = new Worker('enhance', async () => undefined, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix,
    concurrency,
  });
  worker.on('completed', () => {
    done += 1;
    if (done === fromJob) {
      startedAt = performance.now();
      cpuAtStart = process.cpuUsage();
    }
    if (done === jobs) {
      const rate = ((jobs - fromJob) / (performance.now() - startedAt)) * 1000;
      const cpu = process.cpuUsage(cpuAtStart);
      cpuMsPerJob = (cpu.user + cpu.system) / 1000 / (jobs - fromJob);
      void worker.close().then(() => resolve(rate));
    }
  });
});
// Bounded: a stuck queue ends the process instead of the bench waiting for ever.
const timeout = setTimeout(() => {
  console.error(`noop worker: only ${done} of ${jobs} jobs completed within 120 s`);
  process.exit(1);
}, 120_000);
const jobsPerSecond = await finished;
clearTimeout(timeout);
process.stdout.write(`${JSON.stringify({ jobsPerSecond, cpuMsPerJob })}\n`);
await queue.close();
producer.disconnect();
process.exit(0);
