import { RangeWorkerPool } from '../adapters/threads/range-worker-pool.js';
import { siblingScript } from '../adapters/threads/worker-script.js';
import type { RangeSetup } from '../pipeline/run/ranged-run.js';
import type { RangeConfig } from './config.js';
import type { LakeBuckets } from './s3-lake.js';

/**
 * How the transform function converts a big plain CSV or JSON-lines object when it has more than one vCPU: in byte ranges on
 * worker threads (range-worker.ts, beside this module: range-worker.mjs in the bundle), the main thread cutting and
 * settling. The threads start on the first object that is cut and stay for the next invocations of the environment.
 * Undefined with one worker: every object is converted serially.
 */

let pool: RangeWorkerPool | undefined;

export function transformRanges(config: RangeConfig, buckets: LakeBuckets): RangeSetup | undefined {
  if (config.workers < 2) return undefined;
  if (pool?.size !== config.workers) {
    void pool?.close();
    const workerData: LakeBuckets = { rawBucket: buckets.rawBucket, processedBucket: buckets.processedBucket };
    pool = new RangeWorkerPool({ url: siblingScript(import.meta.url, 'range-worker'), workerData }, config.workers);
  }
  return { parts: config.workers, run: pool.run, ...(config.minRangeBytes !== undefined && { minRangeBytes: config.minRangeBytes }) };
}
