import { Command, InvalidArgumentError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { GluelessError } from '../pipeline/contract/errors.js';
import { datasetsDirectory, lakeDirectory, modelsDirectory, openContext, openLake, type GlobalOptions } from './context.js';
import { lakeHoldsAnything, requireLakeToRead } from './lake-state.js';

/**
 * The `glueless` command line: the local lake's front door. Errors are one line unless --verbose.
 * Each command imports what it runs inside its action (`await import(…)`), so `glueless --help` and every other
 * command start without loading DuckDB, the AWS SDK or the pipeline they do not use. Built to dist/ by
 * scripts/build-cli.mjs (`npm install` runs it); bin/glueless.js runs the build.
 */

const program = new Command('glueless')
  .description('CSV to a query-ready, Hive-partitioned Parquet lake without AWS Glue')
  .version(packageJson.version, '-V, --version', 'print the glueless version')
  .option('--lake <dir>', 'local lake directory (env GLUELESS_LAKE)', undefined)
  .option('--datasets <dir>', 'dataset contract directory (env GLUELESS_DATASETS)', undefined)
  .option('--models <dir>', 'gold model directory (env GLUELESS_MODELS)', undefined)
  .option('--verbose', 'print stack traces on errors')
  .option('--quiet', 'no progress bars')
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const print = (text: string) => process.stdout.write(`${text}\n`);
/** Said by the commands that land data, before their results. */
const onNewLake = (dir: string) => print(`new lake at ${dir}`);

/** Every subcommand's help ends with the global options and an example. */
function examples(...lines: string[]): string {
  return (
    `\nGlobal options: --lake <dir> (default .lake, env GLUELESS_LAKE), --datasets <dir> (default datasets, env GLUELESS_DATASETS),` +
    ` --verbose, --quiet\n\nExample${lines.length === 1 ? '' : 's'}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`
  );
}

program
  .command('ingest')
  .description("land files in the raw zone under their dataset's prefix and process them as the S3 trigger does")
  .argument('<file...>', 'CSV or JSON-lines files (gzip too)')
  .option('--dataset <name>', 'dataset contract to use (needed when several are defined)')
  .option('--concurrency <n>', 'files processed at the same time', (v) => Math.max(1, Number.parseInt(v, 10) || 1), 4)
  .option('--workers <n>', 'threads converting one large CSV or JSON-lines file in byte ranges (default: the CPUs available)', (v) => Math.max(1, Number.parseInt(v, 10) || 1))
  .addHelpText('after', examples('glueless ingest samples/sales_orders.csv', 'glueless --lake /tmp/lake ingest exports/*.csv --dataset sales_orders'))
  .action(async (files: string[], options: { dataset?: string; concurrency: number; workers?: number }) => {
    const { ingestFiles } = await import('./commands/ingest.js');
    const context = await openContext(globals(), { onNewLake });
    const manifests = await ingestFiles(files, options.dataset, context, print, { concurrency: options.concurrency, quiet: globals().quiet, workers: options.workers });
    const { refreshAfterRuns } = await import('./commands/models.js');
    const runs = manifests.map((manifest) => ({ contract: context.contracts.find((c) => c.name === manifest.dataset)!, manifest }));
    await refreshAfterRuns(context, modelsDirectory(globals()), runs, print);
  });

program
  .command('replay')
  .description('re-run the rows of a quarantine file after fixing them (the error columns are dropped)')
  .argument('<file>', 'a quarantine CSV (e.g. .lake/quarantine/sales_orders/…csv) with its values fixed')
  .option('--dataset <name>', 'dataset, when it cannot be told from the path')
  .addHelpText('after', examples('glueless replay .lake/quarantine/sales_orders/sales_orders-1a2b3c4d.csv'))
  .action(async (file: string, options: { dataset?: string }) => {
    const { replayQuarantineFile } = await import('./commands/replay.js');
    await replayQuarantineFile(file, options.dataset, await openContext(globals(), { onNewLake }), print);
  });

program
  .command('query')
  .description('run SQL over the registered tables with DuckDB; csv, json and jsonl stream every row, table shows the first --max-rows')
  .argument('<sql>', 'the query')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'jsonl']).default('table'))
  .option('--max-rows <n>', 'rows the table format shows', (v: string) => {
    if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError('a positive whole number');
    return Number(v);
  }, 50)
  .addHelpText(
    'after',
    examples(
      'glueless query "SELECT order_date, sum(total_amount) FROM sales_orders GROUP BY 1 ORDER BY 1"',
      'glueless query "SELECT * FROM sales_orders" --format csv > orders.csv',
      'glueless query --athena "SELECT * FROM daily_revenue ORDER BY order_date"',
    ),
  )
  .option('--athena', 'run on Athena instead (workgroup, database, region: flags or ATHENA_WORKGROUP, GLUE_DATABASE, AWS_REGION)')
  .option('--workgroup <name>', 'Athena workgroup (stack output AthenaWorkGroup)')
  .option('--database <name>', 'Glue database (stack output GlueDatabase)')
  .option('--region <region>', 'AWS region')
  .action(async (sql: string, options: { format: 'table' | 'csv' | 'json' | 'jsonl'; maxRows: number; athena?: boolean; workgroup?: string; database?: string; region?: string }) => {
    if (options.athena) {
      const { queryAthena } = await import('./commands/athena-query.js');
      const format = options.format === 'jsonl' ? 'json' : options.format;
      await queryAthena(sql, { ...options, format }, (text) => process.stdout.write(text), (line) => process.stderr.write(`${line}\n`));
      return;
    }
    const { queryCommand } = await import('./commands/query.js');
    await requireLakeToRead(lakeDirectory(globals()));
    await queryCommand((await openLake(globals())).catalog, sql, options);
  });

program
  .command('tables')
  .description('tables with their partition and row counts')
  .addHelpText('after', examples('glueless tables'))
  .action(async () => {
    const [{ listTables }, { renderTable }] = await Promise.all([import('../adapters/local/duckdb-query.js'), import('./format.js')]);
    // A new lake has no tables: said, and listed empty, without making a catalog in it.
    const tables = (await lakeHoldsAnything(lakeDirectory(globals()))) ? await listTables((await openLake(globals())).catalog) : [];
    print(renderTable({ columns: ['table', 'partitions', 'rows'], rows: tables.map((t) => [t.table, t.partitions, t.rows]) }));
  });

const models = program
  .command('models')
  .description('gold models (models/*.sql): materialization, partitions, what they read, state and last refresh')
  .action(async () => {
    const { listModels } = await import('./commands/models.js');
    print(await listModels(await openContext(globals()), modelsDirectory(globals())));
  });

models
  .command('run')
  .description('refresh models now: those never built, failed or changed; --full rebuilds the named model (or all) whole')
  .argument('[name]', 'a model (with everything downstream of it)')
  .option('--full', 'rebuild from scratch, not only what is stale')
  .action(async (name: string | undefined, options: { full?: boolean }) => {
    const { runModels } = await import('./commands/models.js');
    await runModels(await openContext(globals()), modelsDirectory(globals()), name, options, print);
  });

program
  .command('infer')
  .description('sniff a CSV file and print a dataset contract (YAML) that ingest accepts unchanged: review it, save it as datasets/<name>.yaml')
  .argument('<file>', 'CSV file')
  .option('--name <name>', 'table name (default: the file name in snake_case)')
  .option('--prefix <prefix>', 'raw key prefix the dataset owns (default: <name>/)')
  .option('--sample-rows <n>', 'data rows to infer from', (value: string) => Number(value), 10_000)
  .addHelpText('after', examples('glueless infer exports/flights.csv --name flights > datasets/flights.yaml'))
  .action(async (file: string, options: { name?: string; prefix?: string; sampleRows: number }) => {
    const { inferContract } = await import('./commands/infer.js');
    process.stdout.write(await inferContract(file, options));
  });

program
  .command('ddl')
  .description("print the Athena CREATE EXTERNAL TABLE for a dataset's contract")
  .argument('<dataset>', 'dataset (table) name')
  .option('--location <s3uri>', 'table LOCATION', undefined)
  .option('--database <name>', 'Glue database', 'glueless')
  .addHelpText('after', examples('glueless ddl sales_orders', 'glueless ddl sales_orders --location s3://my-processed-bucket/tables/sales_orders/'))
  .action(async (dataset: string, options: { location?: string; database: string }) => {
    const { printDdl } = await import('./commands/ddl.js');
    print(await printDdl(datasetsDirectory(globals()), dataset, options));
  });

program
  .command('invoke')
  .description('run a function of template.yaml in-process on an event file: `sam local invoke` without Docker')
  .argument('<event>', 'event JSON file, e.g. events/s3-put-sales-orders.json')
  .option('--function <name>', 'function resource in the template', 'TransformFunction')
  .option('--template <file>', 'SAM template', 'template.yaml')
  .option('--env-vars <file>', 'environment overrides, sam local format: { "<Function>": { "NAME": "value" } }')
  .addHelpText('after', examples('glueless invoke events/s3-put-sales-orders.json --env-vars events/env.json'))
  .action(async (event: string, options: { function: string; template: string; envVars?: string }) => {
    const { invokeFunction } = await import('./commands/invoke.js');
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
  .addHelpText('after', examples('glueless redrive', 'glueless redrive --queue-url "$FAILED_EVENTS_QUEUE_URL" --env-vars events/env.json'))
  .action(async (options: { queueUrl?: string; envVars?: string; limit?: number }) => {
    const { redrive } = await import('./commands/redrive.js');
    await redrive({ ...options, lake: lakeDirectory(globals()), datasets: datasetsDirectory(globals()) }, print, { quiet: globals().quiet });
  });

program
  .command('send')
  .description('put the records of a JSON-lines file into a Kinesis Data Firehose delivery stream (PutRecordBatch, retried)')
  .argument('<stream>', 'delivery stream name (stack output DeliveryStreamName)')
  .argument('<file>', 'JSON-lines file: one object a line, or concatenated objects')
  .addHelpText('after', examples('glueless send glueless-DeliveryStream-abc123 samples/clickstream_events.jsonl'))
  .action(async (stream: string, file: string) => {
    const { sendFile } = await import('./commands/send.js');
    await sendFile(stream, file, print, { quiet: globals().quiet });
  });

program
  .command('demo')
  .description('a lake of its own (.lake-demo/): ingest samples/, answer the sql/ queries, summarize quarantine (npm start)')
  .option('--samples <dir>', 'sample CSV directory', 'samples')
  .option('--sql <dir>', 'query directory', 'sql')
  .addHelpText('after', examples('glueless demo', 'glueless --lake /tmp/demo-lake demo'))
  .action(async (options: { samples: string; sql: string }) => {
    const { runDemo, DEMO_LAKE_DIR } = await import('./commands/demo.js');
    // The demo's own lake: never GLUELESS_LAKE or .lake, where a user's data lives.
    await runDemo({ lake: globals().lake || DEMO_LAKE_DIR, datasets: datasetsDirectory(globals()), models: modelsDirectory(globals()), ...options }, print);
  });

// ---------------------------------------------------------------- extraction from HTTP APIs (sources/*.yaml)
const sourcesDirectory = (options: { sources?: string }) => options.sources || process.env.GLUELESS_SOURCES || 'sources';

/** A progress bar over a run's windows (on a terminal, without --quiet); result lines print above it. */
async function withWindowBar(name: string, run: (print: (line: string) => void, progress: (done: number, total: number) => void) => Promise<unknown>) {
  const { createProgress } = await import('./progress.js');
  const bars = createProgress({ quiet: globals().quiet, print });
  let bar: ReturnType<typeof bars.bar> | undefined;
  try {
    await run(
      (line) => bars.print(line),
      (done, total) => (bar ??= bars.bar(`${name} windows`, total, 'items')).update(done),
    );
  } finally {
    bar?.done();
    bars.stop();
  }
}

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
    const { runExtract } = await import('./commands/extract.js');
    const context = await openContext(globals(), { onNewLake });
    let summary: Awaited<ReturnType<typeof runExtract>> | undefined;
    await withWindowBar(name, async (line, progress) => {
      summary = await runExtract(name, { ...options, sources: sourcesDirectory(options) }, context, line, progress);
    });
    const { refreshAfterRuns } = await import('./commands/models.js');
    const runs = (summary?.manifests ?? []).map((manifest) => ({ contract: context.contracts.find((c) => c.name === manifest.dataset)!, manifest }));
    await refreshAfterRuns(context, modelsDirectory(globals()), runs, print);
  });

program
  .command('sources')
  .description('the API sources, with their dataset, window, schedule and last window landed')
  .option('--sources <dir>', 'source definition directory (env GLUELESS_SOURCES)')
  .action(async (options: { sources?: string }) => {
    const { listSources } = await import('./commands/extract.js');
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
    const { backfill } = await import('./commands/backfill.js');
    const { loadContractDirectory } = await import('../adapters/local/contract-files.js');
    const contracts = await loadContractDirectory(datasetsDirectory(globals()));
    await withWindowBar(name, (line, progress) => backfill(name, { ...options, sources: sourcesDirectory(options) }, { contracts }, line, progress));
  });

program
  .command('dashboard')
  .description('chart page over the local lake: health from lake_runs, the analysts\' charts from the gold models')
  .option('--out <dir>', 'write index.html (data embedded) and the chart library here', 'site')
  .option('--serve', 'serve the page on 127.0.0.1 instead, reading the lake on every request')
  .option('--port <n>', 'port for --serve (0: any free one)', (v: string) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('a port number, 0-65535');
    return Number(v);
  }, 8484)
  .action(async (options: { out: string; serve?: boolean; port: number }) => {
    const lake = lakeDirectory(globals());
    await requireLakeToRead(lake);
    const { serveDashboard, writeDashboard } = await import('./commands/dashboard.js');
    if (options.serve) await serveDashboard(lake, options.port, print);
    else await writeDashboard(lake, options.out, print);
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
