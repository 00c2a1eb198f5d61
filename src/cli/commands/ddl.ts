import { loadContractDirectory } from '../../adapters/local/contract-files.js';
import { createTableStatement, setTablePropertiesStatement } from '../../pipeline/schema/ddl.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { tablePrefix } from '../../pipeline/write/layout.js';

const PLACEHOLDER_BUCKET = 'glueless-placeholder-processed-bucket';

/** `glueless ddl <dataset>`: the Athena CREATE EXTERNAL TABLE the Lambda runs, to review or run by hand. */
export async function printDdl(datasets: string, name: string, options: { location?: string; database: string }): Promise<string> {
  const contracts = await loadContractDirectory(datasets);
  const contract = contracts.find((c) => c.name === name);
  if (!contract) throw new GluelessError(`unknown dataset "${name}" (known: ${contracts.map((c) => c.name).join(', ')})`);
  // Without --location: the processed bucket the environment names (as `invoke` reads it), else a marked placeholder.
  const bucket = process.env.PROCESSED_BUCKET;
  const location =
    options.location ?? `s3://${bucket || PLACEHOLDER_BUCKET}/${tablePrefix(contract.name)}`;
  const tableLocation = location.endsWith('/') ? location : `${location}/`;
  let text = `${createTableStatement(contract, tableLocation, options.database)};`;
  // With partition projection, also what turns it on for a table that already exists.
  if (contract.partition.projection) text += `\n\n${setTablePropertiesStatement(contract, tableLocation, options.database)};`;
  if (options.location || bucket) return text;
  return (
    `-- <processed-bucket> is a placeholder: put the stack's ProcessedBucket there, or pass --location (or set PROCESSED_BUCKET)\n` +
    text.replaceAll(`s3://${PLACEHOLDER_BUCKET}/`, 's3://<processed-bucket>/')
  );
}
