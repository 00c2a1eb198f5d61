import { Command, InvalidArgumentError, Option } from 'commander';
import { listTables, runQuery } from '../adapters/local/duckdb-query.js';
import { GluelessError } from '../pipeline/contract/errors.js';
import { datasetsDirectory, lakeDirectory, openContext, type GlobalOptions } from './context.js';
import { ingestFiles } from './commands/ingest.js';
import { replayQuarantineFile } from './commands/replay.js';
import { runDemo } from './commands/demo.js';
import { renderResult, renderTable, type OutputFormat } from './format.js';
import { printDdl } from './commands/ddl.js';
import { invokeFunction } from './commands/invoke.js';
import { redrive } from './commands/redrive.js';
import { inferContract } from './commands/infer.js';
import { listSources, runExtract } from './commands/extract.js';
import { backfill } from './commands/backfill.js';
import { loadContractDirectory } from '../adapters/local/contract-files.js';

/** The `glueless` command line: the local lake's front door. Errors are one line unless --verbose. */

const program = new Command('glueless')
  .description('CSV to a query-ready, Hive-partitioned Parquet lake without AWS Glue')
  .option('--lake <dir>', 'local lake directory (env GLUELESS_LAKE)', undefined)
  .option('--datasets <dir>', 'dataset contract directory (env GLUELESS_DATASETS)', undefined)
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
    await ingestFiles(files, options.dataset, context, print, { concurrency: options.concurrency });
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
  .action(async (sql: string, options: { format: OutputFormat }) => {
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

// ---------------------------------------------------------------- extraction from HTTP APIs (sources/*.yaml)
const sourcesDirectory = (options: { sources?: string }) => options.sources || process.env.GLUELESS_SOURCES || 'sources';

program
  .command('extract')
  .description("fetch a source's windows from its API, land them in the raw zone and convert them (--from/--to: a backfill)")
  .argument('<source>', 'source name (sources/<name>.yaml)')
  .option('--date <date>', 'the window holding this date (YYYY-MM-DD, YYYY-MM, YYYY-MM-DDTHH)')
  .option('--from <date>', 'first window of a backfill')
  .option('--to <date>', 'last window of a backfill (inclusive)')
  .option('--force', 'fetch windows that already landed again')
  .option('--base-url <url>', 'send the requests to another host (a mirror, a test server)')
  .option('--sources <dir>', 'source definition directory (env GLUELESS_SOURCES)')
  .action(async (name: string, options: { date?: string; from?: string; to?: string; force?: boolean; baseUrl?: string; sources?: string }) => {
    const context = await openContext(globals());
    const progress = process.stderr.isTTY
      ? (done: number, total: number) => process.stderr.write(`\r${name}: ${done}/${total} windows${done === total ? '\n' : ''}`)
      : undefined;
    await runExtract(name, { ...options, sources: sourcesDirectory(options) }, context, print, progress);
  });

program
  .command('sources')
  .description('the API sources, with their dataset, window, schedule and last window landed')
  .option('--sources <dir>', 'source definition directory (env GLUELESS_SOURCES)')
  .action(async (options: { sources?: string }) => {
    print(await listSources({ sources: sourcesDirectory(options) }, await openContext(globals())));
  });

program
  .command('backfill')
  .description('on AWS: invoke the deployed ExtractFunction once per window from --from to --to, a few at a time')
  .argument('<source>', 'source name (sources/<name>.yaml, as deployed)')
  .requiredOption('--from <date>', 'first window')
  .requiredOption('--to <date>', 'last window (inclusive)')
  .requiredOption('--function <name>', 'the function (stack output ExtractFunctionName)')
  .option('--concurrency <n>', 'invocations at the same time (mind the API\'s rate limit)', (v) => Math.max(1, Number.parseInt(v, 10) || 1), 2)
  .option('--force', 'fetch windows that already landed again')
  .option('--sources <dir>', 'source definition directory (env GLUELESS_SOURCES)')
  .action(async (name: string, options: { from: string; to: string; function: string; concurrency: number; force?: boolean; sources?: string }) => {
    const contracts = await loadContractDirectory(datasetsDirectory(globals()));
    const progress = process.stderr.isTTY
      ? (done: number, total: number) => process.stderr.write(`\r${name}: ${done}/${total} windows${done === total ? '\n' : ''}`)
      : undefined;
    await backfill(name, { ...options, sources: sourcesDirectory(options) }, { contracts }, print, progress);
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
