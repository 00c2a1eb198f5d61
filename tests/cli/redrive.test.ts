import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { FailedEventFolder, LOCAL_RAW_BUCKET } from '../../src/adapters/local/failed-event-folder.js';
import { openLocalLake, type LocalLake } from '../../src/adapters/local/local-lake.js';
import { redrive } from '../../src/cli/commands/redrive.js';
import { GluelessError } from '../../src/pipeline/contract/errors.js';
import { failureRecordFor, rawKeysOf, readInvocationRecord, type InvocationRecord } from '../../src/pipeline/run/failed-events.js';
import { schemaKey, tableSchemaOf, type TableSchema } from '../../src/pipeline/schema/schema-change.js';
import { landFile } from '../support/local.js';
import { useMoto } from '../support/moto.js';

/**
 * `glueless redrive`: failed events are re-processed; an event leaves its queue only when every object it names is
 * done, and one that fails again stays for the next redrive.
 */

const SAMPLE = 'samples/sales_orders.csv';
const SAMPLE_KEY = 'sales/orders/sales_orders.csv';
const RETURNS_KEY = 'sales/returns/returns 2024-03.csv';
/** A second dataset, so one table can be broken while sales_orders stays healthy. */
const RETURNS_CONTRACT = `name: order_returns
source:
  prefix: sales/returns/
columns:
  - { name: order_id, type: bigint, required: true }
  - { name: returned_on, type: date, required: true }
  - { name: reason, type: string }
partition_by:
  column: returned_on
  layout: date
`;

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'glueless-redrive-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Collects what redrive writes to its progress stream: a pipe, or a terminal of 200 columns. */
function progressStream(isTTY: boolean): { stream: PassThrough & { isTTY: boolean; columns: number }; fps: number; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 200 });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { stream, fps: 50, text: () => chunks.join('') };
}

describe('failure records', () => {
  it('round-trip raw keys the way S3 encodes them in events', () => {
    for (const key of [SAMPLE_KEY, RETURNS_KEY, 'a/b+c%d/ü é.csv']) {
      expect(rawKeysOf(failureRecordFor(key, 'raw', new Error('x')))).toEqual([{ bucket: 'raw', key }]);
    }
    const record = failureRecordFor(RETURNS_KEY, 'raw', new TypeError('boom'));
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted' },
      responseContext: { functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError', errorMessage: 'boom' },
    });
    expect(JSON.stringify(record.requestPayload)).toContain('sales/returns/returns+2024-03.csv');
  });

  it('name no object for the S3 test event, and refuse anything that is not an S3 event', () => {
    const base = failureRecordFor('k', 'b', new Error('x'));
    expect(rawKeysOf({ ...base, requestPayload: { Event: 's3:TestEvent', Bucket: 'b' } })).toEqual([]);
    expect(() => rawKeysOf({ ...base, requestPayload: { hello: 'world' } })).toThrow(/no S3 event/);
    expect(() => rawKeysOf(readInvocationRecord('not json at all'))).toThrow(/no S3 event/);
    expect(() => rawKeysOf({ ...base, requestPayload: { Records: [{ s3: { bucket: { name: 'b' } } }] } })).toThrow(/names no bucket and key/);
  });
});

describe('glueless redrive, local lake', () => {
  let lakeDir: string;
  let datasets: string;
  let local: LocalLake;
  let folder: FailedEventFolder;

  beforeEach(async () => {
    const dir = await mkdtemp(path.join(work, 'local-'));
    lakeDir = path.join(dir, 'lake');
    datasets = path.join(dir, 'datasets');
    await mkdir(datasets);
    await copyFile('datasets/sales_orders.yaml', path.join(datasets, 'sales_orders.yaml'));
    await writeFile(path.join(datasets, 'order_returns.yaml'), RETURNS_CONTRACT);
    local = await openLocalLake(lakeDir);
    folder = FailedEventFolder.inLake(local.root);
  });

  it('re-processes each failed event, removes the ones that succeed and keeps the one that fails again', async () => {
    await landFile(local, SAMPLE_KEY, SAMPLE);
    await local.lake.raw.write(RETURNS_KEY, 'order_id,returned_on,reason\n100001,2024-03-09,damaged\n100002,2024-03-11,\n');
    // The real failure: order_returns was registered when order_id was a string; its contract now says bigint, which
    // the table cannot take, so ingestObject throws (ContractError) until someone fixes the contract or the table.
    const returns = (await loadContractDirectory(datasets)).find((c) => c.name === 'order_returns')!;
    const registered: TableSchema = tableSchemaOf(returns);
    await local.lake.processed.write(schemaKey('order_returns'), JSON.stringify(withOrderIdAs(registered, 'string')));

    const sample = await folder.record(failureRecordFor(SAMPLE_KEY, LOCAL_RAW_BUCKET, new Error('first failure')));
    expect(await folder.record(failureRecordFor(SAMPLE_KEY, LOCAL_RAW_BUCKET, new Error('second failure')))).toBe(sample);
    const gone = await folder.record(failureRecordFor('sales/orders/deleted before it was read.csv', LOCAL_RAW_BUCKET, new Error('x')));
    const broken = await folder.record(failureRecordFor(RETURNS_KEY, LOCAL_RAW_BUCKET, new Error('x')));
    expect((await failedFiles()).sort()).toEqual([sample, gone, broken].sort()); // a repeated failure replaced its record

    const lines: string[] = [];
    const stderr = progressStream(false);
    const error = await redrive({ lake: lakeDir, datasets }, (line) => lines.push(line), stderr).catch((e: unknown) => e);

    // One line for the run: what became of the objects of the events that succeeded (the error names the failures).
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^redrive: 3 events, 2 succeeded, 1 failed \(kept for the next redrive\): /);
    expect(lines[0]).toContain(`${SAMPLE_KEY} processed`);
    expect(lines[0]).toContain(
      'sales/orders/deleted before it was read.csv skipped (sales/orders/deleted before it was read.csv not found (never uploaded, or deleted before it was read))',
    );
    expect(error).toBeInstanceOf(GluelessError);
    expect((error as Error).message).toMatch(
      new RegExp(`^redrive: 1 event failed again and stays queued: ${escape(broken)} \\(${escape(RETURNS_KEY)}: contract of order_returns changes column order_id from string to bigint`),
    );
    const count = await runQuery(local.catalog, 'SELECT count(*) FROM sales_orders');
    expect(Number(count.rows[0]![0])).toBe(2997);
    expect(await failedFiles()).toEqual([broken]);
    // Not a TTY: no bar, and no line per event either.
    expect(stderr.text()).toBe('');

    // The table is fixed; the kept event goes through on the next redrive, with a progress bar drawn in place.
    await local.lake.processed.write(schemaKey('order_returns'), JSON.stringify(registered));
    const tty = progressStream(true);
    const again: string[] = [];
    await expect(redrive({ lake: lakeDir, datasets }, (line) => again.push(line), tty)).resolves.toMatchObject({ events: 1, succeeded: 1 });
    expect(again).toEqual([`redrive: 1 event, 1 succeeded, 0 failed (kept for the next redrive): ${RETURNS_KEY} processed`]);
    expect(await failedFiles()).toEqual([]);
    const returned = await runQuery(local.catalog, 'SELECT count(*) FROM order_returns');
    expect(Number(returned.rows[0]![0])).toBe(2);
    // The shared bar (progress.ts), drawn in place and cleared at the end.
    expect(tty.text()).toMatch(/redrive ░{24} +0% 0\/1/);
    expect(tty.text()).toContain('\x1b[');
  });

  it('stops at --limit, leaving the rest for later, and keeps a record it cannot read', async () => {
    await mkdir(folder.directory, { recursive: true });
    await writeFile(path.join(folder.directory, '0-unreadable.json'), 'this is not an invocation record');
    await folder.record(failureRecordFor('sales/orders/a.csv', LOCAL_RAW_BUCKET, new Error('x')));
    await folder.record(failureRecordFor('sales/orders/b.csv', LOCAL_RAW_BUCKET, new Error('x')));

    const lines: string[] = [];
    const error = await redrive({ lake: lakeDir, datasets, limit: 2 }, (l) => lines.push(l), progressStream(false)).catch((e: unknown) => e);
    expect(lines).toEqual([
      'redrive: 2 events, 1 succeeded, 1 failed (kept for the next redrive): sales/orders/a.csv skipped (sales/orders/a.csv not found (never uploaded, or deleted before it was read))',
    ]);
    expect((error as Error).message).toContain('0-unreadable.json (the record holds no S3 event');
    expect(await failedFiles()).toHaveLength(2);
  });

  async function failedFiles(): Promise<string[]> {
    return readdir(folder.directory).catch(() => []);
  }
});

describe('glueless redrive --queue-url, against moto', () => {
  const RAW = 'redrive-raw';
  const PROCESSED = 'redrive-processed';
  const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:redrive-notices';
  const moto = useMoto();
  let s3: S3Client;
  let sqs: SQSClient;
  let queueUrl: string;
  let envVars: string;

  beforeAll(async () => {
    s3 = new S3Client({});
    sqs = new SQSClient({});
    envVars = path.join(work, 'env.json');
    await writeFile(envVars, JSON.stringify({
      TransformFunction: {
        AWS_ENDPOINT_URL: moto.endpoint,
        RAW_BUCKET: RAW,
        PROCESSED_BUCKET: PROCESSED,
        ATHENA_RESULTS_BUCKET: 'redrive-athena-results',
        GLUE_DATABASE: 'redrive',
        ATHENA_WORKGROUP: 'redrive-workgroup',
        NOTICE_TOPIC_ARN: TOPIC_ARN,
      },
    }));
  });

  afterAll(async () => {
    for (const client of [s3, sqs]) client?.destroy();
  });

  beforeEach(async () => {
    await moto.reset();
    for (const bucket of [RAW, PROCESSED, 'redrive-athena-results']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const athena = new AthenaClient({});
    await athena.send(new CreateWorkGroupCommand({ Name: 'redrive-workgroup' }));
    const sns = new SNSClient({});
    expect((await sns.send(new CreateTopicCommand({ Name: 'redrive-notices' }))).TopicArn).toBe(TOPIC_ARN);
    for (const client of [athena, sns]) client.destroy();
    // The template's FailedEventsQueue: a failure that is not released would hide for far longer than this test runs.
    ({ QueueUrl: queueUrl } = (await sqs.send(new CreateQueueCommand({ QueueName: 'redrive-failed-events' }))) as { QueueUrl: string });
    await s3.send(new PutObjectCommand({ Bucket: RAW, Key: SAMPLE_KEY, Body: await readFile(SAMPLE) }));
  });

  it('re-processes a failure destination message into Parquet and deletes it', async () => {
    await sendFailure(await sampleEvent(RAW));

    const lines: string[] = [];
    const summary = await redrive({ queueUrl, envVars, lake: 'unused', datasets: 'unused' }, (l) => lines.push(l), progressStream(false));

    expect(summary).toEqual({ events: 1, succeeded: 1, failed: [], done: [`${SAMPLE_KEY} processed`] });
    expect(lines).toEqual([`redrive: 1 event, 1 succeeded, 0 failed (kept for the next redrive): ${SAMPLE_KEY} processed`]);
    const parquet = (await keysUnder(PROCESSED, 'tables/sales_orders/')).filter((k) => k.endsWith('.parquet'));
    expect(parquet).toHaveLength(7);
    expect(await queueCounts()).toEqual({ visible: 0, inFlight: 0 });
    expect(process.env.RAW_BUCKET).toBeUndefined(); // the --env-vars environment is put back
  });

  it('keeps a message whose object fails again, visible at once to the next redrive', async () => {
    // sales_orders was registered when order_id was a string; the deployed contract's bigint cannot replace it, so
    // ingestObject throws (ContractError) for the sample.
    const registered = tableSchemaOf((await loadContractDirectory('datasets')).find((c) => c.name === 'sales_orders')!);
    await s3.send(new PutObjectCommand({
      Bucket: PROCESSED,
      Key: schemaKey('sales_orders'),
      Body: JSON.stringify(withOrderIdAs(registered, 'string')),
    }));
    await sendFailure(await sampleEvent(RAW));
    await sendFailure(await sampleEvent('someone-elses-bucket')); // the handler's bucket check, applied again

    const lines: string[] = [];
    const error = await redrive({ queueUrl, envVars, lake: 'unused', datasets: 'unused' }, (l) => lines.push(l), progressStream(false))
      .catch((e: unknown) => e);

    expect(lines).toEqual(['redrive: 2 events, 0 succeeded, 2 failed (kept for the next redrive)']);
    expect((error as Error).message).toMatch(/^redrive: 2 events failed again and stay queued: /);
    expect((error as Error).message).toContain(`${SAMPLE_KEY}: contract of sales_orders changes column order_id from string to bigint`);
    expect((error as Error).message).toContain(`${SAMPLE_KEY}: names bucket someone-elses-bucket, but the raw bucket is ${RAW}`);
    expect(await keysUnder(PROCESSED, 'tables/')).toEqual([]);
    expect(await queueCounts()).toEqual({ visible: 2, inFlight: 0 });
  });

  async function sampleEvent(bucket: string): Promise<unknown> {
    const event = JSON.parse(await readFile('events/s3-put-sales-orders.json', 'utf8'));
    for (const record of event.Records) {
      record.s3.bucket.name = bucket;
      record.s3.bucket.arn = `arn:aws:s3:::${bucket}`;
    }
    return event;
  }

  /** What Lambda's OnFailure destination sends after the last retry. */
  async function sendFailure(event: unknown): Promise<void> {
    const record: InvocationRecord = {
      version: '1.0',
      timestamp: '2024-04-02T09:21:02.411Z',
      requestContext: {
        requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:glueless-TransformFunction:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TransformFailedError', errorMessage: '1 of 1 objects failed: ThrottlingException' },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
  }

  async function queueCounts(): Promise<{ visible: number; inFlight: number }> {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }));
    return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
  }

  async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return Contents.map((o) => o.Key!).sort();
  }
});

/** The schema as if the table had been registered when order_id was another type. */
function withOrderIdAs(schema: TableSchema, type: string): TableSchema {
  return { ...schema, columns: schema.columns.map((c) => (c.name === 'order_id' ? { ...c, type } : c)) };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
