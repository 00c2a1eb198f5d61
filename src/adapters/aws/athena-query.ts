import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
} from '@aws-sdk/client-athena';
import { CatalogError } from '../../pipeline/contract/errors.js';

/**
 * A SELECT on Athena, read back the way `glueless query` prints a local one: started, polled with backoff until it
 * ends, its results paged (GetQueryResults, 1,000 rows a page), with the bytes it scanned and what that cost.
 */
export interface AthenaQueryOptions {
  client: AthenaClient;
  workgroup: string;
  database: string;
  outputLocation?: string;
  /** Waits between status checks, growing; the last repeats. */
  pollDelaysMs?: number[];
}

export interface AthenaQueryResult {
  columns: string[];
  /** Athena's type of each column (varchar, bigint, double, date, …). */
  types: string[];
  rows: Array<Array<string | null>>;
  queryId: string;
  bytesScanned: number;
  /** US$, at Athena's $5 per TB scanned with its 10 MB minimum per query. */
  costUsd: number;
  pages: number;
}

const DEFAULT_POLL_DELAYS_MS = [100, 200, 400, 800, 1600, 3200, 5000];
const PRICE_PER_TB_USD = 5;
const MINIMUM_BYTES = 10 * 1024 * 1024;

export function athenaCost(bytesScanned: number): number {
  if (bytesScanned <= 0) return 0;
  return (Math.max(bytesScanned, MINIMUM_BYTES) / 1024 ** 4) * PRICE_PER_TB_USD;
}

export async function runAthenaQuery(options: AthenaQueryOptions, sql: string): Promise<AthenaQueryResult> {
  const { client } = options;
  const { QueryExecutionId: queryId } = await client.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: options.workgroup,
      QueryExecutionContext: { Database: options.database },
      ...(options.outputLocation ? { ResultConfiguration: { OutputLocation: options.outputLocation } } : {}),
    }),
  );
  if (!queryId) throw new CatalogError('Athena returned no query id');
  const delays = options.pollDelaysMs?.length ? options.pollDelaysMs : DEFAULT_POLL_DELAYS_MS;
  let bytesScanned = 0;
  for (let attempt = 0; ; attempt++) {
    await sleep(delays[Math.min(attempt, delays.length - 1)]);
    const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    const state = QueryExecution?.Status?.State;
    bytesScanned = Number(QueryExecution?.Statistics?.DataScannedInBytes ?? 0);
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new CatalogError(`Athena query ${queryId} ${state}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`);
    }
  }
  const rows: Array<Array<string | null>> = [];
  let columns: string[] = [];
  let types: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: queryId, NextToken: token, MaxResults: 1000 }));
    const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    if (pages === 0 && info.length > 0) {
      columns = info.map((c) => c.Name ?? '');
      types = info.map((c) => (c.Type === 'decimal' ? `decimal(${c.Precision ?? 38},${c.Scale ?? 0})` : (c.Type ?? 'varchar')));
    }
    let data = (page.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
    // A SELECT's first page starts with the header row.
    if (pages === 0 && data.length > 0 && columns.length > 0 && data[0]!.every((v, i) => v === columns[i])) data = data.slice(1);
    if (pages === 0 && columns.length === 0 && data.length > 0) {
      columns = data[0]!.map((v) => v ?? '');
      types = columns.map(() => 'varchar');
      data = data.slice(1);
    }
    rows.push(...data);
    pages++;
    token = page.NextToken;
  } while (token);
  return { columns, types, rows, queryId, bytesScanned, costUsd: athenaCost(bytesScanned), pages };
}
