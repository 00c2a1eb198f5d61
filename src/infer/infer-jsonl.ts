import { InputFileError } from '../pipeline/contract/errors.js';
import { fieldText, frameJsonRecords, jsonText, NumberText, parseJsonExact } from '../pipeline/read/jsonl.js';
import { columnNames, DEFAULT_SAMPLE_ROWS, guessColumn, guessPartition, guessPrimaryKey, type ColumnGuess, type TableGuess } from './infer-types.js';
import { SampleSource } from './sample-source.js';

/**
 * What a contract should say about a JSON-lines file (NDJSON or concatenated objects), from a sample of its records:
 * nested objects flattened to paths (`context.geo.country` → column context_geo_country), each path typed as a CSV
 * column is (the pipeline's own casters check every guess); a path whose values are of mixed JSON kinds (a number
 * here, a string there) is a string, and arrays — or a path that is an object in one record and not in another — are
 * kept whole as `json`. Records that are not JSON objects are counted, not used: ingest quarantines them.
 */

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

interface PathStats {
  path: string[];
  kinds: Set<Kind>;
  /** Field text per sampled record (`''` when absent or null). */
  texts: string[];
}

export async function inferJsonLinesTable(bytes: AsyncIterable<Uint8Array>, options: { fileName: string; sampleRows?: number }): Promise<TableGuess> {
  const limit = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const records: Array<Record<string, unknown>> = [];
  let bad = 0;
  const source = new SampleSource(bytes);
  try {
    for await (const batch of frameJsonRecords(source.chunks(), { fileName: options.fileName })) {
      for (const framed of batch) {
        if (source.full) {
          source.passedOver();
          continue;
        }
        let value: unknown;
        try {
          value = framed.broken === undefined ? parseJsonExact(framed.text) : undefined;
        } catch {
          value = undefined;
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) bad++;
        else records.push(value as Record<string, unknown>);
        if (records.length >= limit) source.full = true;
      }
    }
  } catch (error) {
    if (!source.full || !(error instanceof InputFileError)) throw error;
  }
  if (records.length === 0) throw new InputFileError(`${options.fileName}: no JSON objects in the file; nothing to infer`);

  // Paths in order of first appearance, and the JSON kinds each holds.
  const stats = new Map<string, PathStats>();
  const visit = (value: unknown, path: string[]) => {
    const key = JSON.stringify(path);
    let entry = stats.get(key);
    if (!entry) stats.set(key, (entry = { path, kinds: new Set(), texts: [] }));
    if (value === null || value === undefined) return;
    const kind = kindOf(value);
    entry.kinds.add(kind);
    if (kind === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(v, [...path, k]);
  };
  for (const record of records) for (const [k, v] of Object.entries(record)) visit(v, [k]);

  // A path is a column when it holds scalars or is kept whole; an object that is only ever an object is flattened.
  const isWhole = (entry: PathStats) => entry.kinds.has('array') || (entry.kinds.has('object') && entry.kinds.size > 1);
  const columns: PathStats[] = [];
  const wholePrefixes: string[][] = [];
  for (const entry of stats.values()) {
    if (wholePrefixes.some((prefix) => startsWith(entry.path, prefix))) continue;
    if (isWhole(entry)) {
      wholePrefixes.push(entry.path);
      columns.push(entry);
    } else if (!entry.kinds.has('object')) columns.push(entry);
  }
  for (const column of columns) {
    const whole = isWhole(column);
    for (const record of records) {
      const value = walk(record, column.path);
      column.texts.push(value === null || value === undefined ? '' : whole ? jsonText(value) : fieldText(value));
    }
  }

  const header = columns.map((c) => sourceOf(c.path));
  const names = columnNames(columns.map((c) => c.path.join(' ')));
  const guesses = columns.map((column, index): ColumnGuess => {
    const guess = guessColumn(header[index]!, names[index]!, column.texts);
    if (isWhole(column)) return { ...guess, type: { kind: 'string', json: true }, nullTokens: [], keptAsText: [], alsoFits: [], format: undefined, trueValues: undefined, falseValues: undefined };
    const scalarKinds = [...column.kinds];
    // "42" in one record and 42 in another: the file does not agree on a type, so text keeps both as written.
    if (scalarKinds.length > 1) return { ...guess, type: { kind: 'string' }, nullTokens: [], keptAsText: [], alsoFits: [], format: undefined, trueValues: undefined, falseValues: undefined };
    return guess;
  });
  const rows = records.map((_, r) => columns.map((c) => c.texts[r]!));
  return {
    header,
    columns: guesses,
    rowsSampled: records.length,
    wholeFile: source.wholeFile,
    raggedRows: bad,
    primaryKey: guessPrimaryKey(guesses, rows),
    partition: guessPartition(guesses, rows),
  };
}

function kindOf(value: unknown): Kind {
  if (Array.isArray(value)) return 'array';
  if (value instanceof NumberText) return 'number';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'number' : 'string';
}

/** A `source:` the JSON-lines reader resolves to this path: the key itself at the top, else the dotted path. */
function sourceOf(path: string[]): string {
  return path.join('.');
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length < path.length && prefix.every((step, index) => path[index] === step);
}

function walk(value: unknown, path: string[]): unknown {
  let at = value;
  for (const step of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}
