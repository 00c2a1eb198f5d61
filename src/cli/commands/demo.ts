import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runQuery } from '../../adapters/local/duckdb-query.js';
import { openLocalLake } from '../../adapters/local/local-lake.js';
import { loadContractDirectory } from '../../adapters/local/contract-files.js';
import { contractForKey } from '../../pipeline/schema/datasets.js';
import { ingestFiles } from './ingest.js';
import { refreshAfterRuns } from './models.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import type { RunManifest } from '../../pipeline/contract/run-manifest.js';
import { renderTable } from '../format.js';
import { GluelessError } from '../../pipeline/contract/errors.js';

/** The demo's own lake, apart from the `.lake` that `glueless ingest` fills: the demo never touches a user's lake. */
export const DEMO_LAKE_DIR = '.lake-demo';

/** Left in a lake the demo made: only such a directory is ever removed by the next demo. */
const DEMO_MARKER = '.glueless-demo';

/**
 * `glueless demo` (what `npm start` runs): a fresh lake of its own (`.lake-demo/`), every sample ingested, the analysts'
 * queries in sql/ answered, and what went to quarantine and why.
 */
export async function runDemo(
  options: { lake: string; datasets: string; samples: string; sql: string; models?: string },
  print: (line: string) => void,
): Promise<void> {
  const contracts = await loadContractDirectory(options.datasets);
  await freshDemoLake(options.lake);
  const local = await openLocalLake(options.lake);
  print(`glueless demo: a fresh lake of its own at ${local.root} (the demo never touches any other lake)\n`);

  const samples = (await readdir(options.samples)).filter((f) => f.endsWith('.csv')).sort();
  const quarantined: string[] = [];
  const runs: Array<{ contract: DatasetContract; manifest: RunManifest }> = [];
  for (const sample of samples) {
    const contract = contracts.find((c) => sample.startsWith(c.name)) ?? contractForKey(contracts, sample);
    if (!contract) {
      print(`skipping ${sample}: no dataset contract is named after it`);
      continue;
    }
    const [manifest] = await ingestFiles([path.join(options.samples, sample)], contract.name, { local, contracts }, print);
    if (manifest?.quarantineFile) quarantined.push(manifest.quarantineFile);
    if (manifest) runs.push({ contract, manifest });
  }
  // The gold models over what was ingested (models/*.sql), as `glueless ingest` refreshes them.
  await refreshAfterRuns({ local, contracts }, options.models ?? 'models', runs, print);

  for (const file of (await readdir(options.sql)).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = await readFile(path.join(options.sql, file), 'utf8');
    const title = sql.split('\n').find((line) => line.startsWith('--'))?.replace(/^--\s*/, '') ?? file;
    const result = await runQuery(local.catalog, sql);
    print(`\n${file}: ${title}\n${renderTable(result)}`);
  }

  print('\nQuarantine summary');
  for (const file of quarantined) {
    // A quarantine CSV writes an empty field as nothing, which DuckDB reads as NULL: shown as the empty text it was.
    const result = await runQuery(
      local.catalog,
      `SELECT _error_rule AS rule, coalesce(_error_column, '') AS "column", coalesce(_error_value, '') AS value, _source_line AS line, _error_message AS reason
       FROM read_csv('${path.join(local.root, 'quarantine', file).replace(/'/g, "''")}', all_varchar = true) ORDER BY CAST(_source_line AS INTEGER)`,
    );
    print(`quarantine/${file}\n${renderTable(result)}`);
  }
  if (quarantined.length === 0) print('no rows were quarantined');
  const lakeOption = path.resolve(options.lake) === path.resolve(DEMO_LAKE_DIR) ? DEMO_LAKE_DIR : options.lake;
  print(`\nTry: npx glueless --lake ${lakeOption} query "SELECT * FROM sales_orders LIMIT 5"`);
}

/** Empties a lake an earlier demo made; refuses a directory the demo did not make, rather than delete a user's data. */
async function freshDemoLake(lake: string): Promise<void> {
  const entries = await readdir(lake).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new GluelessError(`${lake}: cannot read the demo lake (${error.message})`);
  });
  if (entries !== undefined && entries.length > 0) {
    const marked = await stat(path.join(lake, DEMO_MARKER)).then(() => true, () => false);
    if (!marked) {
      throw new GluelessError(
        `${lake} exists and was not made by the demo: it is left as it is; give the demo another --lake (default ${DEMO_LAKE_DIR})`,
      );
    }
    await rm(lake, { recursive: true, force: true });
  }
  await mkdir(lake, { recursive: true });
  await writeFile(path.join(lake, DEMO_MARKER), 'made by `glueless demo`; the next demo empties this directory\n');
}
