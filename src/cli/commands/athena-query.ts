import { AthenaClient } from '@aws-sdk/client-athena';
import { runAthenaQuery } from '../../adapters/aws/athena-query.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { formatBytes, renderResult, type OutputFormat } from '../format.js';

/**
 * `glueless query --athena "<sql>"`: the query runs on Athena and prints like a local one, then how much it scanned and
 * what that cost. Workgroup, database and region come from the flags, else the environment (ATHENA_WORKGROUP,
 * GLUE_DATABASE, AWS_REGION — the same names the functions use, so a deployed stack's outputs can be exported as is).
 */
export interface AthenaQueryFlags {
  workgroup?: string;
  database?: string;
  region?: string;
  format: OutputFormat;
}

export async function queryAthena(sql: string, flags: AthenaQueryFlags, write: (text: string) => void, note: (line: string) => void): Promise<void> {
  const workgroup = flags.workgroup || process.env.ATHENA_WORKGROUP;
  const database = flags.database || process.env.GLUE_DATABASE || 'glueless';
  if (!workgroup) throw new GluelessError('query --athena needs a workgroup: --workgroup, or ATHENA_WORKGROUP (stack output AthenaWorkGroup)');
  const client = new AthenaClient(flags.region ? { region: flags.region } : {});
  try {
    const result = await runAthenaQuery({ client, workgroup, database }, sql);
    write(await renderResult({ columns: result.columns, rows: result.rows }, flags.format));
    note(
      `athena: ${formatBytes(result.bytesScanned)} scanned, $${result.costUsd.toFixed(6)} at $5/TB (10 MB minimum); ` +
        `${result.rows.length} rows in ${result.pages} page${result.pages === 1 ? '' : 's'}; query ${result.queryId}`,
    );
  } finally {
    client.destroy();
  }
}
