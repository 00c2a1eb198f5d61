import { loadContractDirectory } from '../../adapters/local/contract-files.js';
import { createTableStatement } from '../../pipeline/schema/ddl.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { tablePrefix } from '../../pipeline/write/layout.js';

const PLACEHOLDER_BUCKET = 'glueless-placeholder-processed-bucket';

/** `glueless ddl <dataset>`: the Athena CREATE EXTERNAL TABLE the Lambda runs, to review or run by hand. */
export async function printDdl(datasets: string, name: string, options: { location?: string; database: string }): Promise<string> {
  const contracts = await loadContractDirectory(datasets);
  const contract = contracts.find((c) => c.name === name);
  if (!contract) throw new GluelessError(`unknown dataset "${name}" (known: ${contracts.map((c) => c.name).join(', ')})`);
  if (options.location) {
    const location = options.location.endsWith('/') ? options.location : `${options.location}/`;
    return `${createTableStatement(contract, location, options.database)};`;
  }
  // Without --location: the processed bucket the environment names (as `invoke` reads it), else a marked placeholder.
  const bucket = process.env.PROCESSED_BUCKET;
  if (bucket) return `${createTableStatement(contract, `s3://${bucket}/${tablePrefix(contract.name)}`, options.database)};`;
  const statement = createTableStatement(contract, `s3://${PLACEHOLDER_BUCKET}/${tablePrefix(contract.name)}`, options.database);
  return (
    `-- <processed-bucket> is a placeholder: put the stack's ProcessedBucket there, or pass --location (or set PROCESSED_BUCKET)\n` +
    `${statement.replace(`s3://${PLACEHOLDER_BUCKET}/`, 's3://<processed-bucket>/')};`
  );
}
