/** Bytes as a reader receives them, for tests of readers: in one chunk, or cut into chunks of these sizes (repeated). */

export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes.slice();
}

export async function* inChunks(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]!);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}
