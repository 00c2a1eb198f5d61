import { gzipSync } from 'node:zlib';
import type { SourceDefinition, SourceItem } from './source.js';
import { fillTemplate } from './placeholders.js';
import { keyValues, type Window } from './window.js';
import type { JsonRecord } from './strategies/records.js';

/** The deterministic raw key of one window and item: the dataset's prefix, then the source's key template. */
export function rawKeyOf(source: SourceDefinition, prefix: string, window: Window, item: SourceItem): string {
  const values = { ...stringValues(item), ...keyValues(window) };
  return `${prefix}${fillTemplate(source.target.key, values, (v) => v.replace(/[/\\]/g, '_'))}`;
}

export function stringValues(item: SourceItem): Record<string, string> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, String(v)]));
}

/**
 * Records as gzip JSON lines, with the item's fields (the ticker, the coordinates) and the window added. gzip without
 * a timestamp in its header, so the same records always make the same bytes: an unchanged window is recognised.
 */
export function jsonLinesGzip(records: JsonRecord[], added: JsonRecord): Uint8Array {
  const text = records.map((record) => JSON.stringify({ ...record, ...added })).join('\n');
  return gzipSync(Buffer.from(`${text}\n`, 'utf8'), { level: 6 });
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
