import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { format as csvFormat } from '@fast-csv/format';
import type { DuckDbCatalog } from '../../adapters/local/duckdb-catalog.js';
import { streamQuery, type ResultColumns } from '../../adapters/local/duckdb-query.js';
import { formatCount, plural, renderTable } from '../format.js';

/**
 * `glueless query <sql>`: the result streamed as DuckDB produces it. `csv`, `json` and `jsonl` write every row in
 * bounded memory (a chunk of about 2,048 rows at a time, waiting for the reader); `table` shows the first `maxRows`
 * rows and says how many it left out.
 */

export type QueryFormat = 'table' | 'csv' | 'json' | 'jsonl';

export const DEFAULT_MAX_ROWS = 50;

/** Where the rows go, and a promise settled when the reader has gone away. */
interface Sink {
  out: Writable;
  gone: Promise<void>;
  closed(): Error | undefined;
}

export async function queryCommand(
  catalog: DuckDbCatalog,
  sql: string,
  options: { format: QueryFormat; maxRows?: number },
  out: Writable = process.stdout,
): Promise<void> {
  // A reader that went away (`| head`) ends the query quietly; any other write error is the command's error.
  let closed: Error | undefined;
  let onGone: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (onGone = resolve));
  const onError = (error: NodeJS.ErrnoException) => {
    closed = error;
    onGone();
  };
  out.on('error', onError);
  out.once('close', onGone);
  const sink: Sink = { out, gone, closed: () => closed };
  try {
    if (options.format === 'table') await queryTable(catalog, sql, options.maxRows ?? DEFAULT_MAX_ROWS, sink);
    else if (options.format === 'csv') await queryCsv(catalog, sql, sink);
    else await queryJson(catalog, sql, options.format, sink);
  } finally {
    out.off('error', onError);
    out.off('close', onGone);
  }
  if (closed && (closed as NodeJS.ErrnoException).code !== 'EPIPE') throw closed;
}

async function queryTable(catalog: DuckDbCatalog, sql: string, maxRows: number, sink: Sink): Promise<void> {
  let columns: ResultColumns = { names: [], numeric: [] };
  const shown: unknown[][] = [];
  let total = 0;
  await streamQuery(
    catalog,
    sql,
    (c) => void (columns = c),
    (chunk) => {
      if (shown.length < maxRows) shown.push(...chunk.rows().slice(0, maxRows - shown.length));
      total += chunk.rowCount; // the rest are counted, not converted
    },
  );
  const note =
    total > shown.length
      ? `(first ${formatCount(shown.length)} of ${plural(total, 'row')}; --max-rows N shows more, --format csv or jsonl gives them all)`
      : `(${plural(total, 'row')})`;
  await write(sink, `${renderTable({ columns: columns.names, rows: shown, numeric: columns.numeric })}\n${note}\n`);
}

async function queryCsv(catalog: DuckDbCatalog, sql: string, sink: Sink): Promise<void> {
  let stream: ReturnType<typeof csvFormat> | undefined;
  await streamQuery(
    catalog,
    sql,
    async (columns) => {
      stream = csvFormat({ headers: columns.names, alwaysWriteHeaders: true, includeEndRowDelimiter: true });
      stream.pipe(sink.out, { end: false });
    },
    async (chunk) => {
      for (const row of chunk.rows()) {
        if (!stream!.write(row.map(csvValue))) await Promise.race([once(stream!, 'drain'), sink.gone]);
        if (sink.closed()) return false;
      }
      return true;
    },
  );
  if (stream && !sink.closed()) {
    const ended = once(stream, 'end');
    stream.end();
    await Promise.race([ended, sink.gone]);
  }
}

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

async function queryJson(
  catalog: DuckDbCatalog,
  sql: string,
  format: 'json' | 'jsonl',
  sink: Sink,
): Promise<void> {
  let names: string[] = [];
  let first = true;
  if (format === 'json') await write(sink, '[');
  await streamQuery(
    catalog,
    sql,
    (columns) => void (names = columns.names),
    async (chunk) => {
      let text = '';
      for (const row of chunk.rows()) {
        const line = JSON.stringify(Object.fromEntries(names.map((name, i) => [name, row[i]])));
        text += format === 'jsonl' ? `${line}\n` : `${first ? '' : ','}\n  ${line}`;
        first = false;
      }
      await write(sink, text);
      return !sink.closed();
    },
  );
  if (format === 'json' && !sink.closed()) await write(sink, first ? ']\n' : '\n]\n');
}

/** Writes and waits while the reader is behind. */
async function write(sink: Sink, text: string): Promise<void> {
  if (text && !sink.closed() && !sink.out.write(text)) await Promise.race([once(sink.out, 'drain'), sink.gone]);
}
