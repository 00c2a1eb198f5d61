/**
 * Small building blocks for the typed-array structures of the core (column buffers, key sets): growing an array while
 * keeping what it holds, and writing a string's UTF-8 bytes into one without an allocation per string.
 */

type GrowableArray = Int32Array | Uint32Array | Float64Array | Uint8Array | BigInt64Array;

/**
 * `array` if it has room for `needed` elements; otherwise a copy at least twice as long (appends stay amortised O(1))
 * holding its first `used` elements.
 */
export function withRoom<T extends GrowableArray>(array: T, needed: number, used = array.length): T {
  if (needed <= array.length) return array;
  let capacity = Math.max(array.length * 2, MIN_CAPACITY);
  while (capacity < needed) capacity *= 2;
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array.subarray(0, used) as never);
  return next;
}

/**
 * The first room an empty array gets. Small: a partition of a few rows (daily data over years, hourly data) holds a
 * dozen such arrays per partition, and at 64 slots 20,000 partitions' buffers took ~60 MB more (8-byte slots at 8 are
 * 64 bytes, which V8 keeps on its heap with no backing store of their own). Big arrays reach their size by doubling.
 */
const MIN_CAPACITY = 8;

/**
 * Writes the UTF-8 bytes of `text` into `target` from `at`; returns how many. `target` must have room for
 * `text.length * 3` bytes (the most UTF-8 takes per UTF-16 unit). ASCII, the usual case, goes byte by byte; the first
 * other character hands the rest to the encoder.
 */
export function encodeUtf8Into(text: string, target: Uint8Array, at: number): number {
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) break;
    target[at + i] = code;
  }
  return i === text.length ? i : i + ENCODER.encodeInto(text.slice(i), target.subarray(at + i)).written;
}

const ENCODER = new TextEncoder();
