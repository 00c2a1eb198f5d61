/** FNV-1a over bytes[start, end), as an int32 (also for no bytes): the hash of the typed-array tables over byte keys. */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash | 0;
}
