import type { ObjectStore } from '../pipeline/contract/ports.js';
import { WindowFailedError } from './errors.js';
import { getWithRetries, RequestFailedError, type RetryClock } from './http.js';
import { fillTemplate } from './placeholders.js';
import type { HttpClient, SecretStore } from './ports.js';
import { jsonLinesGzip, rawKeyOf, sameBytes, stringValues } from './raw-object.js';
import type { SourceDefinition, SourceItem } from './source.js';
import { authenticatorFor } from './strategies/auth.js';
import { firstPageParams, paginatorFor } from './strategies/pagination.js';
import { AnswerError, selectRecords, type JsonRecord } from './strategies/records.js';
import { civilAt, isOpen, requestValues, windowAt, type Window } from './window.js';

/**
 * One extraction, the same on AWS and locally: for each item and window, skip what already landed (the raw object
 * that exists is the state), fetch the rest — consecutive windows together when the API serves ranges — page by page,
 * and land each window whole as one raw object, or nothing. An empty window lands nothing and is reported as empty.
 */

export type WindowOutcome = 'landed' | 'replaced' | 'unchanged' | 'skipped' | 'empty' | 'failed';

export interface WindowResult {
  source: string;
  window: string;
  /** The item's fields as `ticker=NVDA`, or '' when the source has no items. */
  item: string;
  key: string;
  outcome: WindowOutcome;
  records: number;
  bytes: number;
  error?: string;
}

export interface ExtractDeps extends RetryClock {
  http: HttpClient;
  secrets: SecretStore;
  raw: ObjectStore;
  /** The raw prefix of the source's dataset (its contract's `source.prefix`). */
  prefix: string;
  now?: () => number;
  /** Fetch even windows whose object exists. */
  force?: boolean;
  /** Points the source at another host (a mirror, a test server): replaces the URL template's scheme and host. */
  baseUrl?: string;
  /** Called as each window ends, in completion order: progress bars, metrics, converting what landed. */
  onWindow?: (result: WindowResult) => void | Promise<void>;
}

export interface ExtractStats {
  requests: number;
  latencyMs: number[];
}

interface Batch {
  item: SourceItem;
  windows: Window[];
  keys: string[];
  /** Which windows already have an object (an open window, or --force). */
  existing: boolean[];
}

export async function extractWindows(source: SourceDefinition, windows: Window[], deps: ExtractDeps): Promise<{ results: WindowResult[]; stats: ExtractStats }> {
  const now = deps.now ?? Date.now;
  const results: WindowResult[] = [];
  const stats: ExtractStats = { requests: 0, latencyMs: [] };
  const report = async (result: WindowResult) => {
    results.push(result);
    await deps.onWindow?.(result);
  };
  const batches: Batch[] = [];
  for (const item of source.request.items) {
    const keys = windows.map((window) => rawKeyOf(source, deps.prefix, window, item));
    const landed = await existingKeys(deps.raw, [...keys, ...keys.map((key) => emptyMarkerKey(source, deps.prefix, key))]);
    let open: Batch | undefined;
    for (const [w, window] of windows.entries()) {
      const key = keys[w]!;
      const exists = landed.has(key);
      if ((exists || landed.has(emptyMarkerKey(source, deps.prefix, key))) && !deps.force && !isOpen(window, now(), source.window.delayMs)) {
        await report({ source: source.name, window: window.id, item: itemLabel(item), key, outcome: 'skipped', records: 0, bytes: 0 });
        open = undefined; // a range request covers consecutive missing windows only
        continue;
      }
      if (window.startMs >= now() - source.window.delayMs) {
        // Nothing of it is available yet (the API trails by delay_hours): nothing to ask for, nothing to remember.
        await report({ source: source.name, window: window.id, item: itemLabel(item), key, outcome: 'empty', records: 0, bytes: 0 });
        await report({ source: source.name, window: window.id, item: itemLabel(item), key, outcome: 'skipped', records: 0, bytes: 0 });
        open = undefined; // a range request covers consecutive missing windows only
        continue;
      }
      if (!open || open.windows.length >= source.window.requestSpan) batches.push((open = { item, windows: [], keys: [], existing: [] }));
      open.windows.push(window);
      open.keys.push(key);
      open.existing.push(exists);
    }
  }
  const secret = source.auth.type === 'none' ? undefined : await deps.secrets.get(source.secret!);
  const redact = (text: string) => (secret ? text.split(secret).join('***').split(encodeURIComponent(secret)).join('***') : text);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < batches.length; index = next++) {
      const batch = batches[index]!;
      const outcomes = await fetchBatch(source, batch, deps, secret, redact, stats).catch((error: unknown) =>
        batch.windows.map((window, i) => failed(source, batch, i, redact(windowMessage(source, window, batch, error)))),
      );
      for (const outcome of outcomes) await report(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(source.request.concurrency, Math.max(1, batches.length)) }, worker));
  return { results, stats };
}

async function fetchBatch(
  source: SourceDefinition,
  batch: Batch,
  deps: ExtractDeps,
  secret: string | undefined,
  redact: (text: string) => string,
  stats: ExtractStats,
): Promise<WindowResult[]> {
  const first = batch.windows[0]!;
  const last = batch.windows[batch.windows.length - 1]!;
  // A window still open is asked for only as far as the API has data (now, less its delay).
  const availableUntil = (deps.now ?? Date.now)() - source.window.delayMs;
  const values = { ...stringValues(batch.item), ...requestValues(first, last, source.window.format, availableUntil) };
  const authenticate = authenticatorFor(source.auth, secret);
  const paginate = paginatorFor(source.pagination);
  const template = deps.baseUrl ? source.request.url.replace(/^https?:\/\/[^/]+/, deps.baseUrl.replace(/\/+$/, '')) : source.request.url;
  let url: URL | undefined = new URL(fillTemplate(template, values, encodeURIComponent));
  for (const [name, value] of Object.entries({ ...source.request.query, ...firstPageParams(source.pagination) })) {
    url.searchParams.set(name, fillTemplate(value, values));
  }
  const records: JsonRecord[] = [];
  let csv: { body: Uint8Array; records: number } | undefined;
  const seen = new Set<string>();
  for (let pageNumber = 1; url; pageNumber++) {
    if (seen.has(url.href)) throw new AnswerError(`pagination repeats ${redact(url.href)}`);
    seen.add(url.href);
    const headers = Object.fromEntries(Object.entries(source.request.headers).map(([k, v]) => [k, fillTemplate(v, values)]));
    const pageUrl = new URL(url);
    authenticate(pageUrl, headers);
    const started = Date.now();
    lastUrl.set(batch, pageUrl.href);
    const clock = { ...deps, onAttempt: () => stats.requests++ };
    const response = await getWithRetries(deps.http, { url: pageUrl.href, headers, timeoutMs: source.request.timeoutMs }, source.request.retry, clock, redact);
    stats.latencyMs.push(Date.now() - started);
    const page = selectRecords(response.body, response.headers['content-type'] ?? '', source.response.records, source.response.errors);
    if (page.kind === 'csv') {
      csv = page; // CSV sources have no pagination (parse-source refuses it)
      break;
    }
    records.push(...page.records);
    url = paginate({ url, headers: response.headers, json: page.json, records: page.records.length, pageNumber });
  }
  if (csv) return [await land(source, batch, 0, csv.body, csv.records, deps)];
  const byWindow = splitByWindow(source, batch, records);
  const results: WindowResult[] = [];
  for (const [i, window] of batch.windows.entries()) {
    const added: JsonRecord = Object.fromEntries(source.response.addFields.map((field) => [field, batch.item[field]]));
    if (source.response.windowField) added[source.response.windowField] = window.id;
    const windowRecords = byWindow[i]!;
    results.push(await land(source, batch, i, windowRecords.length > 0 ? jsonLinesGzip(windowRecords, added) : new Uint8Array(), windowRecords.length, deps));
  }
  return results;
}

/** Records of a range request, each placed in its window by its time field; one outside every window fails the batch. */
function splitByWindow(source: SourceDefinition, batch: Batch, records: JsonRecord[]): JsonRecord[][] {
  const groups = batch.windows.map((): JsonRecord[] => []);
  if (batch.windows.length === 1) {
    groups[0]!.push(...records);
    return groups;
  }
  const { field, format } = source.window.recordTime!;
  const index = new Map(batch.windows.map((w, i) => [w.id, i]));
  for (const record of records) {
    const id = windowIdOf(record[field], format, source);
    const at = id === undefined ? undefined : index.get(id);
    if (at === undefined) throw new AnswerError(`a record's ${field} ${JSON.stringify(record[field])} is outside the requested windows`);
    groups[at]!.push(record);
  }
  return groups;
}

function windowIdOf(value: unknown, format: 'date' | 'epoch_ms' | 'epoch_s', source: SourceDefinition): string | undefined {
  const spec = { unit: source.window.unit, timezone: source.window.timezone };
  if (format === 'date') {
    const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?/.exec(value) : null;
    return m ? windowAt({ year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: m[4] ? +m[4] : 0 }, spec).id : undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return windowAt(civilAt(format === 'epoch_ms' ? value : value * 1000, source.window.timezone), spec).id;
}

/** Writes one window's object, or reports it empty or unchanged. A replaced open window re-triggers the transform. */
async function land(source: SourceDefinition, batch: Batch, i: number, body: Uint8Array, records: number, deps: ExtractDeps): Promise<WindowResult> {
  const result = { source: source.name, window: batch.windows[i]!.id, item: itemLabel(batch.item), key: batch.keys[i]!, records, bytes: body.length };
  if (records === 0) {
    // A closed window with no data (a weekend, a holiday) is remembered, so a re-run does not ask again. The marker
    // lies outside every dataset prefix: the transform skips it.
    if (!isOpen(batch.windows[i]!, (deps.now ?? Date.now)(), source.window.delayMs)) await deps.raw.write(emptyMarkerKey(source, deps.prefix, batch.keys[i]!), '', 'text/plain');
    return { ...result, outcome: 'empty', bytes: 0 };
  }
  if (batch.existing[i]) {
    const before = await readAll(deps.raw, batch.keys[i]!);
    if (before && sameBytes(before, body)) return { ...result, outcome: 'unchanged' };
  }
  const contentType = source.target.format === 'jsonl' ? 'application/x-ndjson' : 'text/csv';
  await deps.raw.write(batch.keys[i]!, body, contentType);
  return { ...result, outcome: batch.existing[i] ? 'replaced' : 'landed' };
}

const lastUrl = new WeakMap<Batch, string>();

function windowMessage(source: SourceDefinition, window: Window, batch: Batch, error: unknown): string {
  const range = batch.windows.length > 1 ? `${batch.windows[0]!.id}…${batch.windows[batch.windows.length - 1]!.id}` : window.id;
  const item = itemLabel(batch.item);
  const url = lastUrl.get(batch);
  const known = error instanceof RequestFailedError || error instanceof AnswerError;
  const reason = known ? (error as Error).message : `${(error as Error).name}: ${(error as Error).message}`;
  return `${source.name} ${range}${item ? ` ${item}` : ''}: ${url ? `GET ${url}: ` : ''}${reason.split('\n')[0]}`;
}

function failed(source: SourceDefinition, batch: Batch, i: number, error: string): WindowResult {
  return { source: source.name, window: batch.windows[i]!.id, item: itemLabel(batch.item), key: batch.keys[i]!, outcome: 'failed', records: 0, bytes: 0, error };
}

/** The item as messages name it: its first field (`ticker=NVDA`, `place=New York`). */
function itemLabel(item: SourceItem): string {
  const [first] = Object.entries(item);
  return first ? `${first[0]}=${first[1]}` : '';
}

/** Where the extractor remembers a closed window that had no data: `_extract/empty/<source>/<key below the prefix>`. */
export const EMPTY_MARKER_PREFIX = '_extract/empty/';

export function emptyMarkerKey(source: SourceDefinition, prefix: string, key: string): string {
  return `${EMPTY_MARKER_PREFIX}${source.name}/${key.slice(prefix.length)}`;
}

/** Which of `keys` exist: one listing per key for a few (a scheduled run), else one listing of their common prefixes. */
async function existingKeys(store: ObjectStore, keys: string[]): Promise<Set<string>> {
  const wanted = new Set(keys);
  const prefixes = keys.length <= 8 ? keys : commonPrefixes(keys);
  const found = new Set<string>();
  for (const prefix of prefixes) for (const object of await store.list(prefix)) if (wanted.has(object.key)) found.add(object.key);
  return found;
}

/** The longest common prefix of the keys under each top-level segment (data keys and markers apart). */
function commonPrefixes(keys: string[]): string[] {
  const groups = new Map<string, string>();
  for (const key of keys) {
    const top = key.slice(0, key.indexOf('/') + 1);
    const current = groups.get(top);
    if (current === undefined) groups.set(top, key);
    else {
      let n = 0;
      while (n < current.length && current[n] === key[n]) n++;
      groups.set(top, current.slice(0, n));
    }
  }
  return [...groups.values()];
}

async function readAll(store: ObjectStore, key: string): Promise<Uint8Array | undefined> {
  try {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await store.read(key)) chunks.push(chunk);
    return Buffer.concat(chunks);
  } catch {
    return undefined;
  }
}

/** Thrown by callers that want a run with failed windows to fail as a whole (the Lambda, the CLI's exit status). */
export function failureOf(results: WindowResult[]): WindowFailedError | undefined {
  const failures = results.filter((r) => r.outcome === 'failed');
  if (failures.length === 0) return undefined;
  return new WindowFailedError(`${failures.length} of ${results.length} windows failed: ${failures.map((f) => f.error).join('; ')}`);
}
