import Table from 'cli-table3';
import { format as formatCsvRow } from '@fast-csv/format';
import type { QueryResult } from '../adapters/local/duckdb-query.js';

/** Query results as analysts read them: an aligned table, CSV or JSON. */

export type OutputFormat = 'table' | 'csv' | 'json';

export function renderResult(result: QueryResult, format: OutputFormat): Promise<string> | string {
  if (format === 'json') {
    const objects = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
    return `${JSON.stringify(objects, null, 2)}\n`;
  }
  if (format === 'csv') return renderCsv(result);
  return `${renderTable(result)}\n(${plural(result.rows.length, 'row')})\n`;
}

/**
 * An aligned table with a rule under its header; numbers right-aligned (NULL too, in a number column). `numeric` says
 * which columns are numbers when the result's types are known; otherwise each value is judged by its look.
 */
export function renderTable(result: { columns: string[]; rows: unknown[][]; numeric?: boolean[] }): string {
  const table = new Table({
    head: result.columns,
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of result.rows) {
    table.push(
      row.map((value, i) => ({
        content: value === null || value === undefined ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value),
        hAlign: result.numeric?.[i] || isNumeric(value) ? ('right' as const) : ('left' as const),
      })),
    );
  }
  const lines = table.toString().split('\n');
  // The rule under the header, drawn from the top border: ┌─┬─┐ → ├─┼─┤.
  const rule = lines[0]!.replace('┌', '├').replace(/┬/g, '┼').replace('┐', '┤');
  return [lines[0], lines[1], rule, ...lines.slice(2)].join('\n');
}

/**
 * 1234567 → "1,234,567", as `toLocaleString('en-US')` writes it, without it for whole numbers: its first call loads
 * the locale data (~10 ms of every command that prints a count).
 */
export function formatCount(count: number): string {
  if (!Number.isSafeInteger(count) || Object.is(count, -0)) return count.toLocaleString('en-US');
  const digits = String(Math.abs(count)).replace(/\B(?=(\d{3})+$)/g, ',');
  return count < 0 ? `-${digits}` : digits;
}

/** "1 row", "2,997 rows". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : nouns}`;
}

/** 632 → "632 ms"; 20456 → "20.5 s"; 754000 → "12 min 34 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function isNumeric(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
}

function renderCsv(result: QueryResult): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const stream = formatCsvRow({ headers: result.columns, includeEndRowDelimiter: true });
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
    for (const row of result.rows) stream.write(row.map((v) => (v === null || v === undefined ? '' : String(v))));
    stream.end();
  });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
