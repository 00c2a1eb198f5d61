import { loadContractDirectory } from '../../adapters/local/contract-files.js';
import { createTableStatement, setTablePropertiesStatement } from '../../pipeline/schema/ddl.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { tablePrefix } from '../../pipeline/write/layout.js';

/** `glueless ddl <dataset>`: the Athena CREATE EXTERNAL TABLE the Lambda runs, to review or run by hand. */
export async function printDdl(datasets: string, name: string, options: { location?: string; database: string }): Promise<string> {
  const contracts = await loadContractDirectory(datasets);
  const contract = contracts.find((c) => c.name === name);
  if (!contract) throw new GluelessError(`unknown dataset "${name}" (known: ${contracts.map((c) => c.name).join(', ')})`);
  const location = options.location ?? `s3://<processed-bucket>/${tablePrefix(contract.name)}`;
  const tableLocation = location.endsWith('/') ? location : `${location}/`;
  const create = `${createTableStatement(contract, tableLocation, options.database)};`;
  // With partition projection, also what turns it on for a table that already exists.
  if (!contract.partition.projection) return create;
  return `${create}\n\n${setTablePropertiesStatement(contract, tableLocation, options.database)};`;
}
