import { snappyCompressor } from 'hysnappy';

/**
 * SNAPPY by hysnappy (Google's snappy in ~3 KB of wasm) instead of hyparquet-writer's JavaScript one: the same format,
 * faster. One instance for the process (its memory grows to the largest page and stays); every Parquet file of a run
 * compresses its pages with it.
 */
export const SNAPPY: (input: Uint8Array) => Uint8Array = snappyCompressor();
