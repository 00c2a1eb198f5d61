import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
} from '@aws-sdk/client-athena';
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Context, S3Event } from 'aws-lambda';
import { parquetReadObjects } from 'hyparquet';
import { buildLambda, type LambdaBundle } from '../../scripts/build-lambda.js';
import type { TransformSummary } from '../../src/handlers/transform.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../src/pipeline/contract/contract.js';
import { addPartitionStatements, createTableStatement } from '../../src/pipeline/schema/ddl.js';
import { parquetKey, sourceManifestKey } from '../../src/pipeline/write/layout.js';
import { executionName } from '../../src/pipeline/run/fan-out-hand-off.js';
import type { RunManifest } from '../../src/pipeline/contract/run-manifest.js';
import { useMoto } from '../support/moto.js';
import { capturingStdout, emfRecords } from '../support/lambda-output.js';
import { expectedRowsSql, sq } from '../support/oracle-sql.js';

/**
 * The transform function end to end against moto: S3 event in; Parquet, Athena DDL, an SNS notice and EMF metrics out.
 * Runs once from source and once from the esbuild bundle SAM would deploy.
 */

const RAW = 'e2e-raw';
const PROCESSED = 'e2e-processed';
const RESULTS = 'e2e-athena-results';
const WORKGROUP = 'e2e-workgroup';
const DATABASE = 'e2e_lake';
const SAMPLE = path.resolve('samples/sales_orders.csv');
const SAMPLE_KEY = 'sales/orders/sales_orders.csv';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:e2e-notices'; // moto's account and region
const FAN_OUT_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:e2e-fan-out';
/** Objects above this go to the fan-out state machine: the sample (180 KB) stays below, so every other test converts. */
const FAN_OUT_THRESHOLD = 1024 * 1024;

type Handler = (event: unknown, context: Context) => Promise<TransformSummary>;

const moto = useMoto();
let restoreEnv: () => void;
let s3: S3Client;
let sqs: SQSClient;
let athena: AthenaClient;
let queueUrl: string;
let work: string;
let contract: DatasetContract;
let bundle: LambdaBundle | undefined;

beforeAll(async () => {
  s3 = new S3Client({});
  sqs = new SQSClient({});
  athena = new AthenaClient({});
  work = await mkdtemp(path.join(tmpdir(), 'glueless-e2e-'));
  contract = parseContract(await readFile('datasets/sales_orders.yaml', 'utf8'), 'datasets/sales_orders.yaml');
  // Before the handler is imported: Powertools reads its settings when it is created.
  restoreEnv = setEnv({
    RAW_BUCKET: RAW,
    PROCESSED_BUCKET: PROCESSED,
    ATHENA_RESULTS_BUCKET: RESULTS,
    GLUE_DATABASE: DATABASE,
    ATHENA_WORKGROUP: WORKGROUP,
    NOTICE_TOPIC_ARN: TOPIC_ARN,
    FANOUT_STATE_MACHINE_ARN: FAN_OUT_ARN,
    FANOUT_THRESHOLD_BYTES: String(FAN_OUT_THRESHOLD),
    POWERTOOLS_SERVICE_NAME: 'glueless',
    POWERTOOLS_METRICS_NAMESPACE: 'GluelessE2E',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // Dev mode would switch metrics off.
    POWERTOOLS_DEV: undefined,
  });
});

afterAll(async () => {
  for (const client of [s3, sqs, athena]) client?.destroy();
  restoreEnv?.();
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await moto.reset();
  for (const bucket of [RAW, PROCESSED, RESULTS]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await athena.send(new CreateWorkGroupCommand({ Name: WORKGROUP }));
  const sns = new SNSClient({});
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'e2e-notices' }));
  ({ QueueUrl: queueUrl } = (await sqs.send(new CreateQueueCommand({ QueueName: 'e2e-watcher' }))) as { QueueUrl: string });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
  sns.destroy();
  expect(TopicArn).toBe(TOPIC_ARN);
});

describe.each([
  ['source', () => importHandler(path.resolve('src/handlers/transform.ts'))],
  ['the esbuild bundle', async () => {
    bundle = await buildLambda({ outdir: path.join(work, 'bundle') });
    return importHandler(bundle.outfile);
  }],
])('transform handler from %s', (_from, loadHandler) => {
  let handler: Handler;
  beforeAll(async () => {
    handler = await loadHandler();
  });

  it('turns an uploaded CSV into queryable Parquet, Athena DDL, a SUCCEEDED notice and EMF metrics', async () => {
    await upload(SAMPLE_KEY, await readFile(SAMPLE));

    const { result, stdout } = await capturingStdout(() => handler(s3Event(SAMPLE_KEY), lambdaContext()));

    const manifestUri = `s3://${PROCESSED}/${sourceManifestKey('sales_orders', SAMPLE_KEY)}`;
    expect(result).toEqual({
      processed: [{ key: SAMPLE_KEY, dataset: 'sales_orders', rowsWritten: 2997, rowsQuarantined: 3, manifest: manifestUri }],
      rejected: [],
      skipped: [],
      handedOff: [],
    });
    const manifest = JSON.parse(await download(sourceManifestKey('sales_orders', SAMPLE_KEY))) as RunManifest;

    // Parquet at the partition keys the oracle's dates call for, rows equal to DuckDB's own reading of the CSV.
    const oracle = await duck(`SELECT DISTINCT CAST(order_date AS VARCHAR) FROM (${expectedRowsSql(SAMPLE)}) ORDER BY 1`);
    const dates = oracle.map((row) => String(row[0]));
    expect(dates).toHaveLength(7);
    const parquetKeys = dates.map((d) => parquetKey('sales_orders', `order_date=${d}/`, SAMPLE_KEY));
    expect(await keysUnder(PROCESSED, 'tables/')).toEqual(parquetKeys);
    expect(manifest.outputs.map((o) => o.key)).toEqual(parquetKeys);
    const lakeDir = await mkdtemp(path.join(work, 'lake-'));
    for (const key of parquetKeys) {
      await mkdir(path.dirname(path.join(lakeDir, key)), { recursive: true });
      await writeFile(path.join(lakeDir, key), await downloadBytes(key));
    }
    const parquet = `read_parquet(${sq(`${lakeDir}/tables/sales_orders/**/*.parquet`)}, hive_partitioning = true)`;
    const expected = `(${expectedRowsSql(SAMPLE)})`;
    const summary = (from: string) =>
      `SELECT count(*)::VARCHAR, sum(total_amount)::VARCHAR, list(DISTINCT typeof(total_amount))::VARCHAR FROM ${from}`;
    const perDate = (from: string) => `SELECT order_date::VARCHAR, count(*)::VARCHAR FROM ${from} GROUP BY 1 ORDER BY 1`;
    expect(await duck(summary(parquet))).toEqual(await duck(summary(expected)));
    expect((await duck(summary(parquet)))[0]![0]).toBe('2997');
    expect(await duck(perDate(parquet))).toEqual(await duck(perDate(expected)));
    const columns = 'order_id, customer_id, product, quantity, price, notes, total_amount, order_date::VARCHAR';
    const difference = await duck(`SELECT count(*)::VARCHAR FROM (
      (SELECT ${columns} FROM ${parquet} EXCEPT ALL SELECT ${columns} FROM ${expected})
      UNION ALL (SELECT ${columns} FROM ${expected} EXCEPT ALL SELECT ${columns} FROM ${parquet}))`);
    expect(difference).toEqual([['0']]);
    expect(await keysUnder(PROCESSED, 'quarantine/')).toEqual([`quarantine/${manifest.quarantineFile}`]);

    // Exactly the DDL ddl.ts builds: the table, then every partition.
    const tableLocation = `s3://${PROCESSED}/tables/sales_orders/`;
    const partitions = dates.map((d) => ({
      values: [{ name: 'order_date', value: d }],
      location: `${tableLocation}order_date=${d}/`,
    }));
    expect(await athenaStatements()).toEqual([
      createTableStatement(contract, tableLocation, DATABASE),
      ...addPartitionStatements(contract, partitions, DATABASE),
    ]);

    // The notice, with the attributes subscribers filter on, carrying the manifest.
    const [notice] = await receiveNotices();
    expect(notice!.attributes).toEqual({ status: 'SUCCEEDED', dataset: 'sales_orders' });
    expect(notice!.message).toMatchObject({ status: 'SUCCEEDED', dataset: 'sales_orders', source: `s3://${RAW}/${SAMPLE_KEY}` });
    expect(notice!.message.manifest).toEqual(manifest);

    // Powertools EMF on stdout: one record for the file, dimensioned by dataset.
    const emf = emfRecords(stdout).find((r) => r.RowsRead !== undefined)!;
    expect(emf).toBeDefined();
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('GluelessE2E');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions.flat()).toEqual(expect.arrayContaining(['service', 'dataset']));
    expect(emf).toMatchObject({
      dataset: 'sales_orders',
      service: 'glueless',
      FilesProcessed: 1,
      RowsRead: 3000,
      RowsWritten: 2997,
      RowsQuarantined: 3,
      BytesIn: (await readFile(SAMPLE)).byteLength,
      BytesOut: manifest.bytesOut,
      PartitionsRegistered: 7,
      DurationMs: manifest.durationMs,
    });
    const names = emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string; Unit: string }) => `${m.Name}:${m.Unit}`);
    expect(names).toEqual(expect.arrayContaining(['BytesIn:Bytes', 'DurationMs:Milliseconds', 'RowsRead:Count']));
    expect(emfRecords(stdout).find((r) => r.FilesFailed !== undefined)).toMatchObject({ FilesFailed: 0, FilesSkipped: 0, FilesHandedOff: 0 });
  });
});

describe('the Lambda bundle', () => {
  it('is one ESM file at the artifact root, as sam build lays it out, without DuckDB, CLI or local-lake code', () => {
    expect(path.basename(bundle!.outfile)).toBe('transform.mjs');
    expect(bundle!.inputs).toContain('src/handlers/transform.ts');
    expect(bundle!.inputs.some((file) => file.includes('node_modules/@aws-sdk/lib-storage/'))).toBe(true);
    const unwanted = bundle!.inputs.filter((file) => /@duckdb|commander|cli-table3|node_modules\/(zod|yaml)\/|src\/cli\/|src\/adapters\/local\//.test(file));
    expect(unwanted).toEqual([]);
  });

  it('has the range worker as a file of its own beside the handler, which the handler does not import', () => {
    const [, worker] = bundle!.entries;
    expect(bundle!.entries.map((e) => path.relative(path.dirname(bundle!.outfile), e.outfile))).toEqual(['transform.mjs', 'range-worker.mjs']);
    expect(worker!.inputs).toContain('src/adapters/threads/serve-ranges.ts');
    expect(worker!.inputs.filter((file) => /powertools|client-(athena|sns|sfn|sqs)|src\/adapters\/local\//.test(file))).toEqual([]);
    // A cold start loads the pool (a few lines, threads started on the first object cut), never a worker's code.
    expect(bundle!.inputs).toContain('src/adapters/threads/range-worker-pool.ts');
    expect(bundle!.inputs.filter((file) => /range-worker\.ts|serve-ranges/.test(file))).toEqual([]);
  });
});

describe('transform handler on range worker threads', () => {
  const KEY = 'sales/orders/orders_for_workers.csv';
  let text: string;
  let restore: () => void;

  beforeAll(async () => {
    const sample = (await readFile(SAMPLE, 'utf8')).replace(/\n+$/, '').split('\n');
    // The first orders again at the end: keys the last range repeats from the first, quarantined as `unique`.
    text = [...sample, ...sample.slice(1, 4)].join('\n') + '\n';
    // Ranges of 40 kB or more, so the 180 kB sample is cut in two (the default minimum is 16 MiB).
    restore = setEnv({ RANGE_MIN_BYTES: '40000' });
  });
  afterAll(() => restore?.());

  /** What the processed bucket holds after a run: rows per partition in file order, the quarantine file, the manifest. */
  async function lakeAfter(handler: Handler, workers: number) {
    const previous = setEnv({ RANGE_WORKERS: String(workers) });
    try {
      await upload(KEY, text);
      const { result, error } = await capturingStdout(() => handler(s3Event(KEY), lambdaContext()));
      expect(error).toBeUndefined();
      const keys = await keysUnder(PROCESSED, '');
      const tables = keys.filter((k) => k.startsWith('tables/') && k.endsWith('.parquet'));
      const rows: Record<string, unknown[]> = {};
      for (const key of tables) {
        const bytes = await downloadBytes(key);
        const objects = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
        // Two runs, two start times: everything but _ingested_at must be equal.
        (rows[path.dirname(key)] ??= []).push(...objects.map(({ _ingested_at, ...rest }) => (void _ingested_at, rest)));
      }
      const manifest = JSON.parse(await download(sourceManifestKey('sales_orders', KEY))) as RunManifest;
      const quarantine = manifest.quarantineFile ? await download(`quarantine/${manifest.quarantineFile}`) : undefined;
      const { startedAt, durationMs, bytesOut, outputs, ...counts } = manifest;
      void [startedAt, durationMs, bytesOut];
      const rowsPerPartition = Object.fromEntries(manifest.partitions.map((p) => [p, outputs.filter((o) => o.partition === p).reduce((n, o) => n + o.rows, 0)]));
      const others = keys.filter((k) => !tables.includes(k));
      const lake = { result, rows, quarantine, counts, rowsPerPartition, others };
      // Empty again for the next run.
      if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: PROCESSED, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
      return { lake, tables };
    } finally {
      previous();
    }
  }

  it.each([
    ['source', () => importHandler(path.resolve('src/handlers/transform.ts'))],
    ['the esbuild bundle', async () => importHandler((bundle ??= await buildLambda({ outdir: path.join(work, 'bundle') })).outfile)],
  ])('from %s, converts a big plain CSV on 2 threads into the same lake as one thread', async (_from, loadHandler) => {
    const handler = await loadHandler();
    const serial = await lakeAfter(handler, 1);
    const ranged = await lakeAfter(handler, 2);

    expect(serial.tables.every((k) => !/-r\d{4}\.parquet$/.test(k))).toBe(true);
    expect(ranged.tables.some((k) => k.endsWith('-r0001.parquet'))).toBe(true);
    // The three orders repeated across ranges are among the rows quarantined as `unique`, as one thread finds them.
    expect(serial.lake.counts.quarantinedByRule.unique).toBeGreaterThanOrEqual(3);
    expect(serial.lake.counts.rowsRead).toBe(text.trimEnd().split('\n').length - 1);
    expect(ranged.lake).toEqual(serial.lake);
    // No range's quarantine part or spooled file is left behind.
    expect(ranged.lake.others.filter((k) => k.includes('_ranges/'))).toEqual([]);
  });
});

describe('transform handler, edge cases', () => {
  let handler: Handler;
  beforeAll(async () => {
    handler = await importHandler(path.resolve('src/handlers/transform.ts'));
  });

  it('skips an object under no dataset prefix without failing, registering or notifying', async () => {
    const event = await sampleEvent('events/s3-put-unknown-prefix.json');
    const { result } = await capturingStdout(() => handler(event, lambdaContext()));
    expect(result.processed).toEqual([]);
    expect(result.skipped).toEqual([{ key: 'misc/readme.txt', reason: expect.stringContaining('misc/readme.txt') }]);
    expect(await athenaStatements()).toEqual([]);
    expect(await receiveNotices()).toEqual([]);
  });

  it('decodes a URL-encoded key with spaces', async () => {
    const event = await sampleEvent('events/s3-put-key-with-spaces.json');
    const key = 'sales/orders/2024 Q1 orders(1).csv';
    await upload(key, await readFile(SAMPLE));
    const { result } = await capturingStdout(() => handler(event, lambdaContext()));
    expect(result.processed.map((p) => [p.key, p.rowsWritten])).toEqual([[key, 2997]]);
    expect(await keysUnder(PROCESSED, 'tables/')).toContain(parquetKey('sales_orders', 'order_date=2024-03-04/', key));
  });

  it('processes every record, then rejects naming the one that broke', async () => {
    const event = await sampleEvent('events/s3-put-multi-record.json');
    const second = 'sales/orders/sales_orders_2024-04-01.csv';
    await upload(SAMPLE_KEY, await readFile(SAMPLE));
    await upload(second, await readFile(SAMPLE));
    event.Records[1]!.s3.bucket.name = 'some-other-bucket'; // not the raw bucket this function serves

    const { error } = await capturingStdout(() => handler(event, lambdaContext()));

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^1 of 2 objects failed: sales\/orders\/sales_orders_2024-04-01\.csv \(event names bucket some-other-bucket/);
    const notices = await receiveNotices();
    expect(notices.map((n) => n.attributes)).toEqual([{ status: 'SUCCEEDED', dataset: 'sales_orders' }]);
  });

  it('skips an object deleted before it was read: logged, no notice, no retry', async () => {
    const event = await sampleEvent('events/s3-put-multi-record.json');
    event.Records = [event.Records[1]!]; // its object was never uploaded
    const { result, error } = await capturingStdout(() => handler(event, lambdaContext()));
    expect(error).toBeUndefined();
    expect(result.skipped).toEqual([{ key: 'sales/orders/sales_orders_2024-04-01.csv', reason: expect.stringMatching(/not found \(never uploaded, or deleted before it was read\)/) }]);
    expect(await receiveNotices()).toEqual([]);
  });

  it('rejects a zero-byte object as an empty file, without failing the invocation', async () => {
    const key = 'sales/orders/empty.csv';
    await upload(key, '');
    const { result, error } = await capturingStdout(() => handler(s3Event(key), lambdaContext()));
    expect(error).toBeUndefined();
    expect(result.rejected).toEqual([
      { key, dataset: 'sales_orders', reason: `${key}: file is empty; a header row is required`, manifest: expect.any(String) },
    ]);
  });

  it('keeps a file refused as a whole in quarantine and does not fail (a retry cannot help)', async () => {
    const key = 'sales/orders/not_orders.csv';
    await upload(key, 'something,else\n1,2\n');
    const { result } = await capturingStdout(() => handler(s3Event(key), lambdaContext()));
    expect(result.rejected).toEqual([
      { key, dataset: 'sales_orders', reason: expect.stringContaining(key), manifest: expect.stringMatching(/^s3:\/\//) },
    ]);
    expect((await receiveNotices()).map((n) => n.attributes.status)).toEqual(['REJECTED']);
  });

  it('answers the S3 test event without touching anything', async () => {
    const event = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-04-02T09:00:00.000Z', Bucket: RAW };
    const { result } = await capturingStdout(() => handler(event, lambdaContext()));
    expect(result).toEqual({ processed: [], rejected: [], skipped: [], handedOff: [] });
  });
});

describe('transform handler, objects too big for one invocation', () => {
  let handler: Handler;
  let sfn: SFNClient;
  const BIG_KEY = 'sales/orders/big_orders.csv';
  let big: Buffer;

  beforeAll(async () => {
    handler = await importHandler(path.resolve('src/handlers/transform.ts'));
    sfn = new SFNClient({});
    const sample = (await readFile(SAMPLE, 'utf8')).split('\n');
    const rows = sample.slice(1).filter(Boolean).join('\n');
    big = Buffer.from(`${sample[0]}\n${Array.from({ length: 7 }, () => rows).join('\n')}\n`);
    expect(big.byteLength).toBeGreaterThan(FAN_OUT_THRESHOLD);
  });

  afterAll(() => sfn?.destroy());

  beforeEach(async () => {
    // The deployed definition; moto records executions without running them.
    const definition = (await readFile('statemachine/fan-out.asl.json', 'utf8')).replaceAll('${FanOutFunctionArn}', 'arn:aws:lambda:us-east-1:123456789012:function:FanOut');
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: 'e2e-fan-out', definition, roleArn: 'arn:aws:iam::123456789012:role/e2e-fan-out', type: 'STANDARD' }),
    );
    expect(stateMachineArn).toBe(FAN_OUT_ARN);
  });

  async function executions() {
    const { executions: list = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: FAN_OUT_ARN }));
    return Promise.all(list.map(async (e) => ({ name: e.name, arn: e.executionArn, input: (await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }))).input })));
  }

  function bigEvent(sequencer: string): S3Event {
    const event = s3Event(BIG_KEY);
    Object.assign(event.Records[0]!.s3.object, { size: big.byteLength, eTag: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', sequencer });
    return event;
  }

  it('starts one execution named for the upload, converts nothing itself, and starts none more for a retried event', async () => {
    await upload(BIG_KEY, big);
    const event = bigEvent('0065A1B2C3D4E5F601');
    const name = executionName({ key: BIG_KEY, eTag: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', sequencer: '0065A1B2C3D4E5F601' });
    const arn = `arn:aws:states:us-east-1:123456789012:execution:e2e-fan-out:${name}`;

    const { result, error, stdout } = await capturingStdout(() => handler(event, lambdaContext()));

    expect(error).toBeUndefined();
    expect(result).toEqual({
      processed: [],
      rejected: [],
      skipped: [],
      handedOff: [{ key: BIG_KEY, dataset: 'sales_orders', bytes: big.byteLength, execution: arn, alreadyStarted: false }],
    });
    expect(await executions()).toEqual([{ name, arn, input: JSON.stringify({ key: BIG_KEY }) }]);
    // Nothing converted, registered or announced here: the state machine does all of that.
    expect(await keysUnder(PROCESSED, '')).toEqual([]);
    expect(await athenaStatements()).toEqual([]);
    expect(await receiveNotices()).toEqual([]);
    expect(emfRecords(stdout).find((r) => r.FilesFailed !== undefined)).toMatchObject({ FilesHandedOff: 1, FilesFailed: 0 });

    // Lambda retries the event (or S3 delivers it twice) while the run goes on: the same execution, no second one.
    const retried = await capturingStdout(() => handler(event, lambdaContext()));
    expect(retried.error).toBeUndefined();
    expect(retried.result.handedOff).toEqual([expect.objectContaining({ execution: arn })]);
    // ... and after it ended, when Step Functions refuses the name: still handed off, nothing started.
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    const late = await capturingStdout(() => handler(event, lambdaContext()));
    expect(late.error).toBeUndefined();
    expect(late.result.handedOff).toEqual([expect.objectContaining({ execution: arn, alreadyStarted: true })]);
    expect((await executions()).map((e) => e.name)).toEqual([name]);
    expect(await keysUnder(PROCESSED, '')).toEqual([]);

    // The next upload of the key is another object: it gets a run of its own.
    const again = await capturingStdout(() => handler(bigEvent('0065A1B2C3D4E5F6FF'), lambdaContext()));
    expect(again.result.handedOff).toEqual([expect.objectContaining({ alreadyStarted: false })]);
    expect((await executions()).map((e) => e.name).sort()).toEqual([name, again.result.handedOff[0]!.execution.split(':').pop()].sort());
  });

  it('reads the size from the bucket when the event has none', async () => {
    await upload(BIG_KEY, big);
    const { result } = await capturingStdout(() => handler(s3Event(BIG_KEY), lambdaContext()));
    expect(result.handedOff).toEqual([expect.objectContaining({ key: BIG_KEY, bytes: big.byteLength, alreadyStarted: false })]);
    expect(await executions()).toHaveLength(1);
    await capturingStdout(() => handler(s3Event(BIG_KEY), lambdaContext()));
    expect(await executions()).toHaveLength(1);
  });

  it('hands off nothing no dataset owns, however big', async () => {
    await upload('misc/big.bin', big);
    const { result } = await capturingStdout(() => handler(s3Event('misc/big.bin'), lambdaContext()));
    expect(result.handedOff).toEqual([]);
    expect(result.skipped).toEqual([{ key: 'misc/big.bin', reason: expect.any(String) }]);
    expect(await executions()).toEqual([]);
  });
});

// ---------------------------------------------------------------- helpers

async function importHandler(file: string): Promise<Handler> {
  return ((await import(pathToFileURL(file).href)) as { handler: Handler }).handler;
}

/** Runs `fn` with stdout captured, where Powertools writes its JSON logs and EMF metrics (stderr is silenced). */
function s3Event(key: string, bucket = RAW): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/') } },
      },
    ],
  } as unknown as S3Event;
}

/** A sample event from events/, pointed at the test's raw bucket. */
async function sampleEvent(file: string): Promise<S3Event> {
  const event = JSON.parse(await readFile(file, 'utf8')) as S3Event;
  for (const record of event.Records) {
    record.s3.bucket.name = RAW;
    record.s3.bucket.arn = `arn:aws:s3:::${RAW}`;
  }
  return event;
}

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'TransformFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:TransformFunction',
    memoryLimitInMB: '1769',
    awsRequestId: 'e2e-request',
    logGroupName: '/aws/lambda/TransformFunction',
    logStreamName: 'e2e',
    getRemainingTimeInMillis: () => 900_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function setEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  return () => apply(previous);
}

async function upload(key: string, body: Uint8Array | string): Promise<void> {
  // The length said outright: for an empty body the SDK cannot tell it and prints a 10-line warning with a stack.
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  await s3.send(new PutObjectCommand({ Bucket: RAW, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
}

async function downloadBytes(key: string, bucket = PROCESSED): Promise<Uint8Array> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Body!.transformToByteArray();
}

async function download(key: string, bucket = PROCESSED): Promise<string> {
  return Buffer.from(await downloadBytes(key, bucket)).toString('utf8');
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Contents.map((o) => o.Key!).sort();
}

/** The statements Athena received, oldest first. */
async function athenaStatements(): Promise<string[]> {
  const { QueryExecutionIds = [] } = await athena.send(new ListQueryExecutionsCommand({ WorkGroup: WORKGROUP }));
  const statements = [];
  for (const id of QueryExecutionIds) {
    const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    statements.push(QueryExecution!.Query!);
  }
  return statements;
}

async function receiveNotices(): Promise<Array<{ attributes: Record<string, string>; message: Record<string, any> }>> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return Messages.map((m) => {
    const envelope = JSON.parse(m.Body!) as { Message: string; MessageAttributes: Record<string, { Value: string }> };
    return {
      attributes: Object.fromEntries(Object.entries(envelope.MessageAttributes).map(([k, v]) => [k, v.Value])),
      message: JSON.parse(envelope.Message) as Record<string, any>,
    };
  });
}

async function duck(sql: string): Promise<unknown[][]> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowsJS();
  } finally {
    connection.closeSync();
  }
}
