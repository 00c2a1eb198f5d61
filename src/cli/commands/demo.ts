import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { runQuery } from '../../adapters/local/duckdb-query.js';
import { openLocalLake } from '../../adapters/local/local-lake.js';
import { loadContractDirectory } from '../../adapters/local/contract-files.js';
import { contractForKey } from '../../pipeline/schema/datasets.js';
import { ingestFiles } from './ingest.js';
import { renderTable } from '../format.js';

/**
 * `glueless demo` (what `npm start` runs): a fresh lake, every sample ingested, the analysts' queries in sql/ answered,
 * and what went to quarantine and why.
 */
export async function runDemo(
  options: { lake: string; datasets: string; samples: string; sql: string },
  print: (line: string) => void,
): Promise<void> {
  await rm(options.lake, { recursive: true, force: true });
  const local = await openLocalLake(options.lake);
  const contracts = await loadContractDirectory(options.datasets);
  print(`glueless demo: fresh lake at ${local.root}\n`);

  const samples = (await readdir(options.samples)).filter((f) => f.endsWith('.csv')).sort();
  const quarantined: string[] = [];
  for (const sample of samples) {
    const contract = contracts.find((c) => sample.startsWith(c.name)) ?? contractForKey(contracts, sample);
    if (!contract) {
      print(`skipping ${sample}: no dataset contract is named after it`);
      continue;
    }
    const [manifest] = await ingestFiles([path.join(options.samples, sample)], contract.name, { local, contracts }, print);
    if (manifest?.quarantineFile) quarantined.push(manifest.quarantineFile);
  }

  for (const file of (await readdir(options.sql)).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = await readFile(path.join(options.sql, file), 'utf8');
    const title = sql.split('\n').find((line) => line.startsWith('--'))?.replace(/^--\s*/, '') ?? file;
    const result = await runQuery(local.catalog, sql);
    print(`\n${file}: ${title}\n${renderTable(result)}`);
  }

  print('\nQuarantine summary');
  for (const file of quarantined) {
    const result = await runQuery(
      local.catalog,
      `SELECT _error_rule AS rule, _error_column AS "column", _error_value AS value, _source_line AS line, _error_message AS reason
       FROM read_csv('${path.join(local.root, 'quarantine', file).replace(/'/g, "''")}', all_varchar = true) ORDER BY CAST(_source_line AS INTEGER)`,
    );
    print(`quarantine/${file}\n${renderTable(result)}`);
  }
  if (quarantined.length === 0) print('no rows were quarantined');
  print(`\nTry: npx glueless query "SELECT * FROM sales_orders LIMIT 5"`);
}
