import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jest } from '@jest/globals';
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event } from 'aws-lambda';
import { sendFile } from '../../src/cli/commands/send.js';
import type { TransformSummary } from '../../src/handlers/transform.js';
import { useMoto } from '../support/moto.js';

/**
 * `glueless send` → moto's Firehose → objects in the raw bucket → the transform handler → hourly Parquet partitions,
 * partitions registered through Athena, a notice on SNS. moto delivers each PutRecordBatch at once as one object,
 * uncompressed, under `<prefix>YYYY/MM/DD/HH/` (README: where it differs from AWS).
 */
const RAW = 'fh-raw';
const PROCESSED = 'fh-processed';
const RESULTS = 'fh-results';
const SAMPLE = path.resolve('samples/clickstream_events.jsonl');
type Handler = (event: unknown, context: Context) => Promise<TransformSummary>;

const moto = useMoto();
const env: Record<string, string | undefined> = {
  RAW_BUCKET: RAW,
  PROCESSED_BUCKET: PROCESSED,
  ATHENA_RESULTS_BUCKET: RESULTS,
  GLUE_DATABASE: 'fh_lake',
  ATHENA_WORKGROUP: 'fh-workgroup',
  NOTICE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:fh-notices',
  POWERTOOLS_SERVICE_NAME: 'glueless',
  POWERTOOLS_METRICS_NAMESPACE: 'GluelessE2E',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};
const previous: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [name, value] of Object.entries(env)) {
    previous[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(() => {
  for (const [name, value] of Object.entries(previous)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

it('delivers sent records to the raw bucket, and each delivered object lands as hourly Parquet with a notice', async () => {
  const s3 = new S3Client({});
  const firehose = new FirehoseClient({});
  const sqs = new SQSClient({});
  const sns = new SNSClient({});
  const athena = new AthenaClient({});
  try {
    for (const bucket of [RAW, PROCESSED, RESULTS]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await athena.send(new CreateWorkGroupCommand({ Name: 'fh-workgroup' }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'fh-notices' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'fh-watcher' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'clickstream',
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${RAW}`,
          RoleARN: 'arn:aws:iam::123456789012:role/firehose',
          Prefix: 'clickstream/events/',
          ErrorOutputPrefix: 'firehose-errors/',
          CompressionFormat: 'GZIP',
        },
      }),
    );

    const printed: string[] = [];
    const progress: number[] = [];
    const summary = await sendFile('clickstream', SAMPLE, (line) => printed.push(line), { onProgress: (p) => progress.push(p.accepted) });
    expect(summary).toMatchObject({ records: 2002, accepted: 2002, refused: 0, failed: 0, calls: 5 });
    expect(progress.at(-1)).toBe(2002);
    expect(printed[0]).toMatch(/clickstream_events\.jsonl → clickstream: 2,002 of 2,002 records accepted .*5 PutRecordBatch calls\), 0 refused, 0 failed$/);

    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: RAW, Prefix: 'clickstream/events/' }));
    const keys = Contents.map((o) => o.Key!).sort();
    expect(keys).toHaveLength(5);
    for (const key of keys) expect(key).toMatch(/^clickstream\/events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/clickstream-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/);
    const delivered = await Promise.all(keys.map(async (Key) => (await (await s3.send(new GetObjectCommand({ Bucket: RAW, Key }))).Body!.transformToString())));
    // Every line sent arrives once, as a line (moto keeps each call's object in send order; keys sort by a random id).
    expect(delivered.join('').split('\n').filter(Boolean).sort()).toEqual((await readFile(SAMPLE, 'utf8')).split('\n').filter(Boolean).sort());

    const { handler } = (await import(pathToFileURL(path.resolve('src/handlers/transform.ts')).href)) as { handler: Handler };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let results: TransformSummary[];
    try {
      results = [];
      for (const key of keys) results.push(await handler(s3Event(key), lambdaContext()));
    } finally {
      stdout.mockRestore();
    }
    const processed = results.flatMap((r) => r.processed);
    expect(processed).toHaveLength(5);
    expect(processed.every((p) => p.dataset === 'clickstream_events')).toBe(true);
    expect(processed.reduce((sum, p) => sum + p.rowsWritten + p.rowsQuarantined, 0)).toBe(2002);
    expect(processed.reduce((sum, p) => sum + p.rowsQuarantined, 0)).toBe(3);

    const { Contents: tables = [] } = await s3.send(new ListObjectsV2Command({ Bucket: PROCESSED, Prefix: 'tables/clickstream_events/' }));
    const partitions = [...new Set(tables.map((o) => o.Key!.replace(/^tables\/clickstream_events\//, '').replace(/[^/]+\.parquet$/, '')))].sort();
    expect(partitions).toEqual(['year=2024/month=03/day=05/hour=06/', 'year=2024/month=03/day=05/hour=07/', 'year=2024/month=03/day=05/hour=08/']);

    const statements = await athenaStatements(athena);
    expect(statements.some((s) => s.startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS `fh_lake`.`clickstream_events`'))).toBe(true);
    expect(statements.some((s) => s.includes("PARTITION (`year` = '2024', `month` = '03', `day` = '05', `hour` = '07')"))).toBe(true);

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const notices = Messages.map((m) => JSON.parse(JSON.parse(m.Body!).Message) as { status: string; dataset: string });
    expect(notices).toHaveLength(5);
    expect(notices.every((n) => n.status === 'SUCCEEDED' && n.dataset === 'clickstream_events')).toBe(true);
  } finally {
    for (const client of [s3, firehose, sqs, sns, athena]) client.destroy();
  }
});

function s3Event(key: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: RAW, arn: `arn:aws:s3:::${RAW}` }, object: { key } },
      },
    ],
  } as unknown as S3Event;
}

function lambdaContext(): Context {
  return {
    functionName: 'TransformFunction',
    awsRequestId: 'fh-request',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:TransformFunction',
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
}

async function athenaStatements(athena: AthenaClient): Promise<string[]> {
  const { QueryExecutionIds = [] } = await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'fh-workgroup' }));
  const statements: string[] = [];
  for (const id of QueryExecutionIds) {
    const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    statements.push(QueryExecution!.Query!);
  }
  return statements;
}
