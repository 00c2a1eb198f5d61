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
  return `${renderTable(result)}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})\n`;
}

export function renderTable(result: QueryResult): string {
  const table = new Table({
    head: result.columns,
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of result.rows) {
    table.push(
      row.map((value) => ({
        content: value === null || value === undefined ? 'NULL' : String(value),
        hAlign: isNumeric(value) ? ('right' as const) : ('left' as const),
      })),
    );
  }
  return table.toString();
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
