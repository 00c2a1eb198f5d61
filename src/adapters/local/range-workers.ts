import { RangeWorkerPool } from '../threads/range-worker-pool.js';
import { siblingScript } from '../threads/worker-script.js';

/** The range workers of `glueless ingest --workers N`: each converts its ranges in the lake directory at `root`. */
export function localRangeWorkers(root: string, size: number): RangeWorkerPool {
  return new RangeWorkerPool({ url: siblingScript(import.meta.url, 'range-worker'), workerData: { root } }, size);
}
