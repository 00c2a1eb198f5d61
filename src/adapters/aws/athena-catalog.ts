import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { addColumnsStatement, addPartitionStatements, createTableStatement, setTablePropertiesStatement } from '../../pipeline/schema/ddl.js';
import { CatalogError } from '../../pipeline/contract/errors.js';
import type { Catalog, PartitionRef } from '../../pipeline/contract/ports.js';
import type { ColumnType } from '../../pipeline/contract/column-type.js';

export interface AthenaCatalogOptions {
  client: AthenaClient;
  workgroup: string;
  /** Glue database that holds the tables. */
  database: string;
  /** Where query results go; leave unset when the workgroup enforces its own result location. */
  outputLocation?: string;
  /** Waits between status checks; the last one repeats until the statement ends. */
  pollDelaysMs?: number[];
}

const DEFAULT_POLL_DELAYS_MS = [100, 200, 400, 800, 1600, 2000];
const STATEMENT_EXCERPT_CHARS = 200;

/** Tables and partitions declared through Athena DDL, straight into the Glue Data Catalog: no crawler. */
export class AthenaCatalog implements Catalog {
  private readonly client: AthenaClient;
  private readonly workgroup: string;
  private readonly database: string;
  private readonly outputLocation?: string;
  private readonly pollDelaysMs: number[];

  constructor(options: AthenaCatalogOptions) {
    this.client = options.client;
    this.workgroup = options.workgroup;
    this.database = options.database;
    this.outputLocation = options.outputLocation;
    this.pollDelaysMs = options.pollDelaysMs?.length ? options.pollDelaysMs : DEFAULT_POLL_DELAYS_MS;
  }

  async ensureTable(contract: DatasetContract, location: string): Promise<void> {
    await this.runStatement(createTableStatement(contract, location, this.database));
    // A table made before its contract asked for projection (or with another range) gets it now; this statement
    // takes the place of the registration a projected table no longer needs.
    if (contract.partition.projection) await this.runStatement(setTablePropertiesStatement(contract, location, this.database));
  }

  async addColumns(contract: DatasetContract, columns: Array<{ name: string; type: ColumnType }>): Promise<void> {
    if (columns.length === 0) return;
    try {
      await this.runStatement(addColumnsStatement(contract, columns, this.database));
    } catch (error) {
      // A run that added the columns and then failed before recording it adds them again: that is not an error.
      if (!(error instanceof CatalogError && /duplicate column|already exists/i.test(error.message))) throw error;
    }
  }

  async addPartitions(contract: DatasetContract, partitions: PartitionRef[]): Promise<void> {
    // Projected partitions are computed by Athena from the table's properties: none is registered.
    if (contract.partition.projection) return;
    for (const statement of addPartitionStatements(contract, partitions, this.database)) {
      await this.runStatement(statement);
    }
  }

  /** Runs one statement to completion; resolves with its query execution id. */
  async runStatement(sql: string): Promise<string> {
    const id = await this.start(sql);
    for (let attempt = 0; ; attempt++) {
      await sleep(this.pollDelaysMs[Math.min(attempt, this.pollDelaysMs.length - 1)]);
      const { QueryExecution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state: QueryExecutionState | undefined = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') return id;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = QueryExecution?.Status?.StateChangeReason ?? 'no reason given';
        throw new CatalogError(`Athena query ${id} ${state}: ${reason} (statement: ${excerpt(sql)})`);
      }
    }
  }

  private async start(sql: string): Promise<string> {
    try {
      const { QueryExecutionId } = await this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: this.workgroup,
          QueryExecutionContext: { Database: this.database },
          ...(this.outputLocation ? { ResultConfiguration: { OutputLocation: this.outputLocation } } : {}),
        }),
      );
      if (!QueryExecutionId) throw new CatalogError(`Athena returned no query id (statement: ${excerpt(sql)})`);
      return QueryExecutionId;
    } catch (error) {
      // A statement Athena refuses outright (bad workgroup, syntax it parses up front) is the catalog's answer too.
      if ((error as Error).name === 'InvalidRequestException') {
        throw new CatalogError(`Athena refused the statement: ${(error as Error).message} (statement: ${excerpt(sql)})`);
      }
      throw error;
    }
  }
}

/** The start of a statement on one line, so the error message stays one line. */
function excerpt(sql: string): string {
  return sql.replace(/\s+/g, ' ').slice(0, STATEMENT_EXCERPT_CHARS);
}
