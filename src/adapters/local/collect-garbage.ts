import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, run before the local catalog opens DuckDB when the process has much to collect: a
 * conversion leaves tens of MB for the collector (byte writers' buffers, the primary-key set), and V8 collects memory
 * outside its heap only once it has grown by tens of MB more. DuckDB then adds its own ~45 MB on top, and that moment
 * was the peak of a 5M-row ingest: 268–274 MB in five runs, 223–251 MB with this collection first (BENCHMARKS.md).
 *
 * It runs only when the heap's used bytes and the ArrayBuffers together grew by COLLECT_AFTER_BYTES since the last
 * time it ran (or since the process started): a `glueless query` or the demo's ingests (16–24 MiB) never pay for it.
 * The collector is reached as Jest's leak detector reaches it: exposed for one new context, then hidden again.
 */
const COLLECT_AFTER_BYTES = 48 * 1024 * 1024;

let collect: (() => void) | undefined;
let collectedAt = 0;

export function collectGarbageBeforeDuckDb(): void {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  if (heapUsed + arrayBuffers - collectedAt < COLLECT_AFTER_BYTES) return;
  collect ??= collector();
  collect();
  const after = process.memoryUsage();
  collectedAt = after.heapUsed + after.arrayBuffers;
}

function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
