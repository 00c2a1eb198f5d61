import type { RunNotice } from '../contract/ports.js';

/** SNS takes at most 256 KiB per message, attributes included; this leaves room for the attributes. */
export const MAX_NOTICE_BYTES = 256 * 1024 - 4096;
const MAX_ERROR_CHARS = 4096;

/**
 * A notice as the JSON text subscribers get, on SNS and in the local lake's `notices.jsonl` alike (`extra` first, as a
 * local notice's `publishedAt`). A run that wrote thousands of partitions has a manifest too large for SNS; then the
 * notice carries the counts without the per-file lists, marked `truncated`, and the full manifest stays in the lake.
 */
export function noticeMessage(notice: RunNotice, extra: Record<string, unknown> = {}): string {
  // Decided on the notice alone: `extra` must not make a local notice lose what SNS would have carried.
  if (!surelyTooLarge(notice)) {
    const full = JSON.stringify(notice);
    if (Buffer.byteLength(full, 'utf8') <= MAX_NOTICE_BYTES) return Object.keys(extra).length === 0 ? full : JSON.stringify({ ...extra, ...notice });
  }
  return JSON.stringify({
    ...extra,
    ...notice,
    ...(notice.error ? { error: notice.error.slice(0, MAX_ERROR_CHARS) } : {}),
    ...(notice.manifest ? { manifest: { ...notice.manifest, partitions: [], outputs: [] } } : {}),
    truncated: true,
  });
}

/**
 * Whether the manifest's file list alone is past the limit, from the keys' lengths and the least JSON each entry takes
 * (`{"key":"","partition":"","rows":0,"bytes":0},`): 20,000 outputs are not written out to learn it (~3.6 MB).
 */
function surelyTooLarge(notice: RunNotice): boolean {
  const outputs = notice.manifest?.outputs ?? [];
  let bytes = 0;
  for (const output of outputs) {
    bytes += output.key.length + output.partition.length + 44;
    if (bytes > MAX_NOTICE_BYTES) return true;
  }
  return false;
}
