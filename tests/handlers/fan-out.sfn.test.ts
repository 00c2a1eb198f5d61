import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parquetReadObjects } from 'hyparquet';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import type { FanOutEvent } from '../../src/handlers/fan-out.js';
import { processObject } from '../../src/pipeline/run/run.js';
import { sourceManifestKey } from '../../src/pipeline/write/layout.js';
import type { RunManifest } from '../../src/pipeline/contract/run-manifest.js';
import type { RefreshMessage } from '../../src/models/ports.js';
import { useMoto } from '../support/moto.js';
import { capturingStdout, jsonRecords } from '../support/lambda-output.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import { landRaw, readText, salesContract, tempLake } from '../support/local.js';

/**
 * The fan-out state machine as deployed (statemachine/fan-out.asl.json), executed by aws-local-stepfunctions with
 * each Task calling the fan-out handler in this process, against moto's S3, SNS, SQS and Athena.
 */

// aws-local-stepfunctions 3 (its only release) calls Promise.withResolvers, which Node 22 has and Node 20 lacks.
const promise = Promise as unknown as { withResolvers?: () => unknown };
promise.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const made = new Promise((yes, no) => ((resolve = yes), (reject = no)));
  return { promise: made, resolve, reject };
};

const RAW = 'sfn-raw';
const PROCESSED = 'sfn-processed';
const KEY = 'sales/orders/big.csv';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:FanOutFunction';

const moto = useMoto();
let s3: S3Client;
let sqs: SQSClient;
let noticeQueue: string;
let failureQueue: string;
let refreshQueue: string;
let fanOut: (event: FanOutEvent, context: Context) => Promise<unknown>;
let definition: Record<string, unknown>;

/** 1,200 orders over three days; `badEvery`: one order in so many has no number for its quantity (quarantined). */
function salesCsv(badEvery = 250): string {
  const lines = ['order_id,customer_id,product,quantity,price,order_date,notes'];
  for (let i = 0; i < 1200; i++) {
    const id = i % 401 === 9 ? 3 : i; // repeats of key 3 in later ranges
    const quantity = i % badEvery === 0 ? 'lots' : String(1 + (i % 4));
    lines.push(`${id},C${i},"Desk, ""oak""",${quantity},10.00,2024-05-0${1 + (i % 3)},"first\nsecond ${i}"`);
  }
  return lines.join('\n') + '\n';
}
const csv = salesCsv();

beforeAll(async () => {
  Object.assign(process.env, {
    RAW_BUCKET: RAW,
    PROCESSED_BUCKET: PROCESSED,
    ATHENA_RESULTS_BUCKET: 'sfn-results',
    GLUE_DATABASE: 'sfn_lake',
    ATHENA_WORKGROUP: 'sfn-workgroup',
    NOTICE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:sfn-notices',
    FANOUT_RANGE_BYTES: '20000',
  });
  s3 = new S3Client({});
  sqs = new SQSClient({});
  ({ handler: fanOut } = (await import('../../src/handlers/fan-out.js')) as unknown as { handler: typeof fanOut });
  const text = await readFile(path.resolve('statemachine/fan-out.asl.json'), 'utf8');
  definition = JSON.parse(text.replaceAll('${FanOutFunctionArn}', FUNCTION_ARN)) as Record<string, unknown>;
});

afterAll(() => {
  s3?.destroy();
  sqs?.destroy();
});

beforeEach(async () => {
  await moto.reset();
  for (const bucket of [RAW, PROCESSED, 'sfn-results']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await new AthenaClient({}).send(new CreateWorkGroupCommand({ Name: 'sfn-workgroup' }));
  const sns = new SNSClient({});
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'sfn-notices' }));
  ({ QueueUrl: noticeQueue } = (await sqs.send(new CreateQueueCommand({ QueueName: 'sfn-watcher' }))) as { QueueUrl: string });
  ({ QueueUrl: failureQueue } = (await sqs.send(new CreateQueueCommand({ QueueName: 'sfn-failures' }))) as { QueueUrl: string });
  process.env.FAILURE_QUEUE_URL = failureQueue;
  // The gold models' queue as deployed: FIFO, one message group per model.
  const fifo = { FifoQueue: 'true' };
  ({ QueueUrl: refreshQueue } = (await sqs.send(new CreateQueueCommand({ QueueName: 'sfn-refresh.fifo', Attributes: fifo }))) as { QueueUrl: string });
  process.env.MODEL_REFRESH_QUEUE_URL = refreshQueue;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: noticeQueue, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
  await s3.send(new PutObjectCommand({ Bucket: RAW, Key: KEY, Body: csv }));
});

const context = { getRemainingTimeInMillis: () => 900_000, functionName: 'FanOutFunction', awsRequestId: 'sfn' } as unknown as Context;

function run(overrideRange?: (event: FanOutEvent) => Promise<unknown>, key = KEY) {
  type Step = (input: unknown) => Promise<never>;
  const step = ((event: FanOutEvent) => fanOut(event, context)) as Step;
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: false } });
  return machine.run(
    { key },
    {
      overrides: {
        // Every Task state of the definition runs the handler here; none may reach for a real Lambda.
        taskResourceLocalHandlers: {
          ...Object.fromEntries(taskStates(definition).map((name) => [name, step])),
          Range: (overrideRange as Step | undefined) ?? step,
        },
        retryIntervalOverrides: { Plan: 0, Range: 0 },
      },
    },
  ).result;
}

function taskStates(machine: Record<string, unknown>): string[] {
  const states = machine.States as Record<string, { Type: string; ItemProcessor?: Record<string, unknown> }>;
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [name] : []),
    ...(state.ItemProcessor ? taskStates(state.ItemProcessor) : []),
  ]);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: PROCESSED, Prefix: prefix }));
  return Contents.map((o) => o.Key!).sort();
}

async function body(key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: PROCESSED, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

async function notices(queueUrl: string): Promise<Array<Record<string, any>>> {
  return (await received(queueUrl)).map((m) => JSON.parse(m.Body!) as Record<string, any>);
}

async function received(queueUrl: string) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['MessageGroupId'] }),
  );
  return Messages;
}

/** The refresh messages on the FIFO queue, by model, each with the message group it was sent in. */
async function refreshesQueued(): Promise<Array<{ group: string | undefined; message: RefreshMessage }>> {
  const messages = (await received(refreshQueue)).map((m) => ({ group: m.Attributes?.MessageGroupId, message: JSON.parse(m.Body!) as RefreshMessage }));
  return messages.sort((a, b) => a.message.model.localeCompare(b.message.model));
}

describe('the fan-out state machine, run locally', () => {
  it('has the steps the handler implements', () => {
    expect(taskStates(definition).sort()).toEqual(['Failed', 'NotPlanned', 'Plan', 'Range', 'Settle', 'SettleFailed']);
  });

  it('converts the object in ranges over a Map and settles it: the same rows, quarantine and counts as one serial run', async () => {
    const result = (await run()) as Record<string, unknown>;
    expect(result).toMatchObject({ status: 'processed', rowsRead: 1200 });

    const manifest = JSON.parse((await body(sourceManifestKey('sales_orders', KEY))).toString('utf8')) as RunManifest;
    expect(manifest.outputs.length).toBeGreaterThan(manifest.partitions.length); // several ranges per partition
    const local = await tempLake();
    try {
      await landRaw(local, KEY, csv);
      const serial = await processObject(KEY, await salesContract(), local.lake);
      for (const field of ['rowsRead', 'rowsWritten', 'rowsQuarantined', 'quarantinedByRule', 'partitions', 'bytesIn'] as const) {
        expect(manifest[field]).toEqual(serial[field]);
      }
      expect(serial.quarantinedByRule.unique).toBeGreaterThan(0);
      const rowsOf = async (keys: string[], read: (key: string) => Promise<Buffer>) => {
        const rows: unknown[] = [];
        for (const key of [...keys].sort()) {
          const bytes = await read(key);
          const objects = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
          // The two lakes hold two separate raw objects, each with its own write time: compare everything else.
          rows.push(...objects.map(({ _ingested_at, ...rest }) => rest));
        }
        return rows;
      };
      expect(await rowsOf(manifest.outputs.map((o) => o.key), body)).toEqual(
        await rowsOf(serial.outputs.map((o) => o.key), async (key) => readFile(local.lake.processed.locationOf(key))),
      );
      expect((await body(`quarantine/${manifest.quarantineFile}`)).toString('utf8')).toBe(await readText(local, 'quarantine', serial.quarantineFile!));
    } finally {
      await local.cleanup();
    }
    // Nothing of the steps is left behind: no kept range results, no quarantine parts.
    expect(await keysUnder('ranges/')).toEqual([]);
    expect(await keysUnder('quarantine/')).toEqual([`quarantine/${manifest.quarantineFile}`]);
    const [notice] = await notices(noticeQueue);
    expect(JSON.parse(notice!.Message)).toMatchObject({ status: 'SUCCEEDED', dataset: 'sales_orders' });
  });

  it('converts a JSON-lines object in ranges too: the same rows, quarantine and counts as one serial run', async () => {
    const key = 'clickstream/events/2024/03/05/06/big.jsonl';
    const sample = (await readFile('samples/clickstream_events.jsonl', 'utf8')).split('\n').slice(0, 300);
    // A key repeated in a later range, a truncated record, blank and CRLF lines: settled and quarantined as serially.
    const text = [...sample.slice(0, 150), '', sample[3], '{"Event ID":"evt-x","userId":', ...sample.slice(150)].join('\r\n') + '\n';
    await s3.send(new PutObjectCommand({ Bucket: RAW, Key: key, Body: text }));
    const planned = (await fanOut({ action: 'plan', key }, context)) as { tasks: unknown[] };
    expect(planned.tasks.length).toBeGreaterThan(2);
    const result = (await run(undefined, key)) as Record<string, unknown>;
    expect(result).toMatchObject({ status: 'processed', rowsRead: 302 });

    const manifest = JSON.parse((await body(sourceManifestKey('clickstream_events', key))).toString('utf8')) as RunManifest;
    expect(manifest.outputs.some((o) => /-r\d{4}\.parquet$/.test(o.key))).toBe(true);
    const local = await tempLake();
    try {
      await landRaw(local, key, text);
      const contract = parseContract(await readFile('datasets/clickstream_events.yaml', 'utf8'), 'datasets/clickstream_events.yaml');
      const serial = await processObject(key, contract, local.lake);
      for (const field of ['rowsRead', 'rowsWritten', 'rowsQuarantined', 'quarantinedByRule', 'partitions', 'bytesIn', 'warnings'] as const) {
        expect(manifest[field]).toEqual(serial[field]);
      }
      expect(serial.quarantinedByRule).toMatchObject({ unique: expect.any(Number), malformed: expect.any(Number) });
      expect(manifest.quarantineFile).toBe(serial.quarantineFile);
      expect((await body(`quarantine/${manifest.quarantineFile}`)).toString('utf8')).toBe(await readText(local, 'quarantine', serial.quarantineFile!));
    } finally {
      await local.cleanup();
    }
    expect(await keysUnder('ranges/')).toEqual([]);
    expect(await keysUnder('quarantine/')).toEqual([`quarantine/${manifest.quarantineFile}`]);
  });

  it('queues a refresh of each gold model reading the table, for the dates the settled run wrote', async () => {
    const result = (await run()) as Record<string, unknown>;
    expect(result).toMatchObject({ status: 'processed', modelsQueued: ['daily_revenue', 'top_products'] });
    const days = ['2024-05-01', '2024-05-02', '2024-05-03'].map((from, i) => ({ from, to: `2024-05-0${i + 2}` }));
    const queued = await refreshesQueued();
    expect(queued.map(({ group, message }) => [group, message.model, message.cause])).toEqual([
      ['daily_revenue', 'daily_revenue', KEY],
      ['top_products', 'top_products', KEY],
    ]);
    for (const { message } of queued) {
      expect(message.change.all).toBe(false);
      const intervals = message.change.all ? [] : [...message.change.intervals].sort((a, b) => a.from.localeCompare(b.from));
      expect(intervals).toEqual(days);
    }
  });

  it('a refresh that cannot be queued does not fail a settled run: SUCCEEDED stands, no FAILED after it, nothing redriven', async () => {
    const queue = process.env.MODEL_REFRESH_QUEUE_URL;
    process.env.MODEL_REFRESH_QUEUE_URL = `${refreshQueue.replace(/sfn-refresh\.fifo$/, '')}no-such-queue.fifo`;
    try {
      const { result, stdout, stderr } = await capturingStdout(() => run() as Promise<Record<string, unknown>>);
      expect(result).toMatchObject({ status: 'processed', modelsQueued: [], refreshError: expect.any(String) });
      expect(jsonRecords(stdout + stderr)).toContainEqual(
        expect.objectContaining({ level: 'ERROR', message: expect.stringMatching(/^gold model refreshes not queued/), key: KEY }),
      );
    } finally {
      process.env.MODEL_REFRESH_QUEUE_URL = queue;
    }
    const published = await notices(noticeQueue);
    expect(published.map((n) => JSON.parse(n.Message).status)).toEqual(['SUCCEEDED']);
    expect(await received(failureQueue)).toEqual([]);
    expect(await refreshesQueued()).toEqual([]);
  });

  it('queues no refresh for a run the quality gate rejects', async () => {
    // 10% of the rows quarantined, over the contract's 5%: the file is refused whole.
    await s3.send(new PutObjectCommand({ Bucket: RAW, Key: KEY, Body: salesCsv(10) }));
    const result = (await run()) as Record<string, unknown>;
    expect(result).toMatchObject({ status: 'rejected' });
    expect(result).not.toHaveProperty('modelsQueued', expect.arrayContaining([expect.anything()]));
    const published = await notices(noticeQueue);
    expect(published.map((n) => JSON.parse(n.Message).status)).toEqual(['REJECTED']);
    expect(await refreshesQueued()).toEqual([]);
  });

  it('a range that keeps failing fails the execution: its files removed, FAILED published, the object in the failure queue', async () => {
    let attempts = 0;
    const breaking = async (event: FanOutEvent) => {
      if (event.action === 'range' && event.task.index === 2) {
        attempts++;
        throw new Error('S3 went away');
      }
      return fanOut(event, context);
    };
    const { error: broken, stdout, stderr } = await capturingStdout(() => run(breaking));
    expect((broken as Error | undefined)?.message).toMatch(/a step failed/);
    expect(jsonRecords(stdout + stderr)).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'fan-out failed', key: KEY }));
    expect(attempts).toBe(3); // the first try and two retries
    expect(await keysUnder('tables/')).toEqual([]);
    expect(await keysUnder('ranges/')).toEqual([]);
    expect(await keysUnder('manifests/')).toEqual([]);
    const published = await notices(noticeQueue);
    expect(published.map((n) => JSON.parse(n.Message).status)).toEqual(['FAILED']); // once
    expect(JSON.parse(published[0]!.Message).error).toContain('range 2 left no result');
    const [failure] = await notices(failureQueue);
    expect(JSON.stringify(failure)).toContain(KEY);
    expect(await refreshesQueued()).toEqual([]);
  });
});
