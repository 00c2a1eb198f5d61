import { Command, InvalidArgumentError, Option } from 'commander';
import { listTables, runQuery } from '../adapters/local/duckdb-query.js';
import { GluelessError } from '../pipeline/contract/errors.js';
import { datasetsDirectory, lakeDirectory, modelsDirectory, openContext, type GlobalOptions } from './context.js';
import { listModels, refreshAfterRuns, runModels } from './commands/models.js';
import { queryAthena, type AthenaQueryFlags } from './commands/athena-query.js';
import { ingestFiles } from './commands/ingest.js';
import { replayQuarantineFile } from './commands/replay.js';
import { runDemo } from './commands/demo.js';
import { renderResult, renderTable, type OutputFormat } from './format.js';
import { printDdl } from './commands/ddl.js';
import { invokeFunction } from './commands/invoke.js';
import { redrive } from './commands/redrive.js';
import { inferContract } from './commands/infer.js';

/** The `glueless` command line: the local lake's front door. Errors are one line unless --verbose. */

const program = new Command('glueless')
  .description('CSV to a query-ready, Hive-partitioned Parquet lake without AWS Glue')
  .option('--lake <dir>', 'local lake directory (env GLUELESS_LAKE)', undefined)
  .option('--datasets <dir>', 'dataset contract directory (env GLUELESS_DATASETS)', undefined)
  .option('--models <dir>', 'gold model directory (env GLUELESS_MODELS)', undefined)
  .option('--verbose', 'print stack traces on errors')
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const print = (text: string) => process.stdout.write(`${text}\n`);

program
  .command('ingest')
  .description("land files in the raw zone under their dataset's prefix and process them as the S3 trigger does")
  .argument('<file...>', 'CSV files')
  .option('--dataset <name>', 'dataset contract to use (needed when several are defined)')
  .option('--concurrency <n>', 'files processed at the same time', (v) => Math.max(1, Number.parseInt(v, 10) || 1), 4)
  .action(async (files: string[], options: { dataset?: string; concurrency: number }) => {
    const context = await openContext(globals());
    const manifests = await ingestFiles(files, options.dataset, context, print, { concurrency: options.concurrency });
    const runs = manifests.map((manifest) => ({ contract: context.contracts.find((c) => c.name === manifest.dataset)!, manifest }));
    await refreshAfterRuns(context, modelsDirectory(globals()), runs, print);
  });

program
  .command('replay')
  .description('re-run the rows of a quarantine file after fixing them (the error columns are dropped)')
  .argument('<file>', 'a quarantine CSV (e.g. .lake/quarantine/sales_orders/…csv) with its values fixed')
  .option('--dataset <name>', 'dataset, when it cannot be told from the path')
  .action(async (file: string, options: { dataset?: string }) => {
    await replayQuarantineFile(file, options.dataset, await openContext(globals()), print);
  });

program
  .command('query')
  .description('run SQL over the registered tables with DuckDB')
  .argument('<sql>', 'the query')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .option('--athena', 'run on Athena instead (workgroup, database, region: flags or ATHENA_WORKGROUP, GLUE_DATABASE, AWS_REGION)')
  .option('--workgroup <name>', 'Athena workgroup (stack output AthenaWorkGroup)')
  .option('--database <name>', 'Glue database (stack output GlueDatabase)')
  .option('--region <region>', 'AWS region')
  .action(async (sql: string, options: AthenaQueryFlags & { athena?: boolean }) => {
    if (options.athena) {
      await queryAthena(sql, options, (text) => process.stdout.write(text), (line) => process.stderr.write(`${line}\n`));
      return;
    }
    const { local } = await openContext(globals());
    process.stdout.write(await renderResult(await runQuery(local.catalog, sql), options.format));
  });

program
  .command('tables')
  .description('tables with their partition and row counts')
  .action(async () => {
    const { local } = await openContext(globals());
    const tables = await listTables(local.catalog);
    print(renderTable({ columns: ['table', 'partitions', 'rows'], rows: tables.map((t) => [t.table, t.partitions, t.rows]) }));
  });

const models = program
  .command('models')
  .description('gold models (models/*.sql): materialization, partitions, what they read, state and last refresh')
  .action(async () => {
    print(await listModels(await openContext(globals()), modelsDirectory(globals())));
  });

models
  .command('run')
  .description('refresh models now: those never built, failed or changed; --full rebuilds the named model (or all) whole')
  .argument('[name]', 'a model (with everything downstream of it)')
  .option('--full', 'rebuild from scratch, not only what is stale')
  .action(async (name: string | undefined, options: { full?: boolean }) => {
    await runModels(await openContext(globals()), modelsDirectory(globals()), name, options, print);
  });

program
  .command('infer')
  .description('sniff a CSV file and print a dataset contract (YAML) that ingest accepts unchanged: review it, save it as datasets/<name>.yaml')
  .argument('<file>', 'CSV file')
  .option('--name <name>', 'table name (default: the file name in snake_case)')
  .option('--prefix <prefix>', 'raw key prefix the dataset owns (default: <name>/)')
  .option('--sample-rows <n>', 'data rows to infer from', (value: string) => Number(value), 10_000)
  .action(async (file: string, options: { name?: string; prefix?: string; sampleRows: number }) => {
    process.stdout.write(await inferContract(file, options));
  });

program
  .command('ddl')
  .description("print the Athena CREATE EXTERNAL TABLE for a dataset's contract")
  .argument('<dataset>', 'dataset (table) name')
  .option('--location <s3uri>', 'table LOCATION', undefined)
  .option('--database <name>', 'Glue database', 'glueless')
  .action(async (dataset: string, options: { location?: string; database: string }) => {
    print(await printDdl(datasetsDirectory(globals()), dataset, options));
  });

program
  .command('invoke')
  .description('run a function of template.yaml in-process on an event file: `sam local invoke` without Docker')
  .argument('<event>', 'event JSON file, e.g. events/s3-put-sales-orders.json')
  .option('--function <name>', 'function resource in the template', 'TransformFunction')
  .option('--template <file>', 'SAM template', 'template.yaml')
  .option('--env-vars <file>', 'environment overrides, sam local format: { "<Function>": { "NAME": "value" } }')
  .action(async (event: string, options: { function: string; template: string; envVars?: string }) => {
    await invokeFunction(event, options, print);
  });

program
  .command('redrive')
  .description("re-process events that failed after every retry: the failure queue (--queue-url), else the lake's failed/ folder")
  .option('--queue-url <url>', 'FailedEventsQueue URL (stack output FailedEventsQueueUrl); redrives on AWS')
  .option('--env-vars <file>', 'function environment for --queue-url, sam local format: { "TransformFunction": { "NAME": "value" } }')
  .option('--limit <n>', 'redrive at most n events', (v: string) => {
    if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError('a positive whole number');
    return Number(v);
  })
  .action(async (options: { queueUrl?: string; envVars?: string; limit?: number }) => {
    await redrive({ ...options, lake: lakeDirectory(globals()), datasets: datasetsDirectory(globals()) }, print);
  });

program
  .command('demo')
  .description('fresh local lake, ingest samples/, answer the sql/ queries, summarize quarantine (npm start)')
  .option('--samples <dir>', 'sample CSV directory', 'samples')
  .option('--sql <dir>', 'query directory', 'sql')
  .action(async (options: { samples: string; sql: string }) => {
    await runDemo({ lake: lakeDirectory(globals()), datasets: datasetsDirectory(globals()), ...options }, print);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const verbose = process.argv.includes('--verbose');
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`glueless: ${error instanceof GluelessError || !verbose ? message.split('\n')[0] : message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
}
