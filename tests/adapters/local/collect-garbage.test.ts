import { runInNewContext } from 'node:vm';
import { collectGarbageBeforeDuckDb } from '../../../src/adapters/local/collect-garbage.js';

/** The collection before DuckDB opens: it frees what waits for the collector, and leaves `gc` hidden as it was. */
describe('collectGarbageBeforeDuckDb', () => {
  it('frees unreachable ArrayBuffers once enough wait, and exposes no gc afterwards', async () => {
    collectGarbageBeforeDuckDb();
    let garbage: ArrayBuffer[] | undefined = Array.from({ length: 16 }, () => new ArrayBuffer(8 * 1024 * 1024));
    for (const buffer of garbage) new Uint8Array(buffer).fill(1);
    const held = process.memoryUsage().arrayBuffers;
    garbage = undefined;
    expect(garbage).toBeUndefined();
    collectGarbageBeforeDuckDb();
    // V8 frees the buffers' memory on a thread of its own, shortly after the collection.
    for (let wait = 0; wait < 40 && process.memoryUsage().arrayBuffers >= held - 100 * 1024 * 1024; wait++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(held - 100 * 1024 * 1024);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
