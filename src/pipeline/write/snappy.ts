import { snappyCompressor } from 'hysnappy';

/**
 * SNAPPY by hysnappy (Google's snappy in ~3 KB of wasm) instead of hyparquet-writer's JavaScript one: the same format,
 * faster. One instance for the process (its memory grows to the largest page and stays); every Parquet file of a run
 * compresses its pages with it.
 *
 * Its output is valid snappy but not always the same for the same input: entries its hash table kept from earlier
 * inputs (its wasm memory is not cleared between calls) can offer other matches, ~0.3% of calls after random inputs.
 * Readers see the same values either way; tests that compare bytes give both sides `snappyOfInputAlone`.
 */
export const SNAPPY: (input: Uint8Array) => Uint8Array = snappyCompressor();

/** SNAPPY from a fresh hysnappy instance for each call: its output depends on the input alone (~0.1 ms a call). */
export function snappyOfInputAlone(input: Uint8Array): Uint8Array {
  return snappyCompressor()(input);
}
