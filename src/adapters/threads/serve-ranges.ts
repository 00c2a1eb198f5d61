import { parentPort } from 'node:worker_threads';
import type { Lake } from '../../pipeline/contract/ports.js';
import { rangeOutcome } from '../../pipeline/run/ranged-run.js';
import type { RangeWorkRequest } from './range-worker-pool.js';

/**
 * The inside of a range worker thread: converts each range it is sent in `lake` and replies with how it went. The
 * worker's script builds the lake (from a directory, or from the function's buckets) and calls this.
 */
export function serveRanges(lake: Lake): void {
  parentPort!.on('message', (request: RangeWorkRequest) => {
    void rangeOutcome(request.sourceKey, request.contract, lake, request.task).then((outcome) => parentPort!.postMessage({ id: request.id, outcome }));
  });
}
