import { readFile } from 'node:fs/promises';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event, SQSEvent } from 'aws-lambda';
import { AthenaCatalog } from '../../src/adapters/aws/athena-catalog.js';
import { AthenaModelEngine } from '../../src/adapters/aws/athena-models.js';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';
import { SnsNotifier } from '../../src/adapters/aws/sns-notifier.js';
import { SqsRefreshQueue } from '../../src/adapters/aws/sqs-refresh-queue.js';
import { bundledContracts } from '../../src/handlers/datasets.generated.js';
import { modelGraph } from '../../src/handlers/model-graph.js';
import { bundledModels } from '../../src/handlers/models.generated.js';
import type { RefreshDeps } from '../../src/handlers/refresh.js';
import { useMoto } from '../support/moto.js';
import { capturingStdout, jsonRecords } from '../support/lambda-output.js';

/**
 * A SUCCEEDED run on AWS (moto) queues the models reading its table on the FIFO refresh queue, one group per model; the
 * refresh function then writes each partition to a new location and swaps it in. Moto answers SUCCEEDED to any Athena
 * statement without running it, so the statements are asserted by their text, and the test stands in for what UNLOAD
 * would have written.
 */
const RAW = 'refresh-raw';
const PROCESSED = 'refresh-processed';
const RESULTS = 'refresh-results';
const DATABASE = 'gold_lake';
const WORKGROUP = 'refresh-wg';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:refresh-notices';

const moto = useMoto();
let s3: S3Client;
let sqs: SQSClient;
let refreshQueueUrl: string;
let noticesUrl: string;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  s3 = new S3Client({});
  sqs = new SQSClient({});
  for (const bucket of [RAW, PROCESSED, RESULTS]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await new AthenaClient({}).send(new CreateWorkGroupCommand({ Name: WORKGROUP, Configuration: { ResultConfiguration: { OutputLocation: `s3://${RESULTS}/` } } }));
  refreshQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'refresh.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
  const sns = new SNSClient({});
  await sns.send(new CreateTopicCommand({ Name: 'refresh-notices' }));
  noticesUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'notices' }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: noticesUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: TOPIC_ARN, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' } }));
  const env = {
    RAW_BUCKET: RAW, PROCESSED_BUCKET: PROCESSED, ATHENA_RESULTS_BUCKET: RESULTS, GLUE_DATABASE: DATABASE,
    ATHENA_WORKGROUP: WORKGROUP, NOTICE_TOPIC_ARN: TOPIC_ARN, MODEL_REFRESH_QUEUE_URL: refreshQueueUrl,
    POWERTOOLS_SERVICE_NAME: 'glueless', POWERTOOLS_METRICS_NAMESPACE: 'GluelessRefresh', POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  s3?.destroy();
  sqs?.destroy();
});

const context = { getRemainingTimeInMillis: () => 600_000, functionName: 'transform', awsRequestId: 'r' } as unknown as Context;

async function receiveAll(queueUrl: string) {
  const messages = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, AttributeNames: ['All'], WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
}

async function keysUnder(prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: PROCESSED, Prefix: prefix }));
  return Contents.map((c) => c.Key!).sort();
}

/** Seeds the result moto returns for the next GetQueryResults: the columns Athena would describe. */
async function seedColumns(columns: Array<[string, string]>) {
  const response = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, {
    method: 'POST',
    body: JSON.stringify({ results: [{ rows: [{ Data: columns.map(([name]) => ({ VarCharValue: name })) }], column_info: columns.map(([name, type]) => ({ Name: name, Type: type, Precision: type === 'decimal' ? 38 : 0, Scale: type === 'decimal' ? 2 : 0 })) }] }),
  });
  expect(response.status).toBe(201);
}

function deps(statements: string[]): RefreshDeps {
  const processed = new S3ObjectStore({ client: s3, bucket: PROCESSED });
  const query = { client: new AthenaClient({}), workgroup: WORKGROUP, database: DATABASE, pollDelaysMs: [5] };
  const catalog = new AthenaCatalog(query);
  return {
    engine: new AthenaModelEngine({
      query,
      processed,
      runStatement: async (sql) => {
        statements.push(sql);
        await catalog.runStatement(sql);
        // Standing in for Athena, which moto does not run: UNLOAD writes its Parquet under the TO location.
        const to = /^UNLOAD[\s\S]*\nTO 's3:\/\/([^/]+)\/(.*)'/.exec(sql);
        if (to) await s3.send(new PutObjectCommand({ Bucket: to[1], Key: `${to[2]}20261201_000000_00001_abcde`, Body: 'PAR1' }));
      },
    }),
    graph: modelGraph(bundledModels, bundledContracts),
    queue: new SqsRefreshQueue({ client: sqs, queueUrl: refreshQueueUrl }),
    notifier: new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN }),
  };
}

const sqsEvent = (bodies: Array<{ id: string; body: string }>): SQSEvent =>
  ({ Records: bodies.map(({ id, body }) => ({ messageId: id, body })) }) as unknown as SQSEvent;

describe('the refresh function against moto', () => {
  it('a SUCCEEDED run queues its models; each refresh UNLOADs to a new location, swaps it in, removes the old one', async () => {
    const { handler } = await import('../../src/handlers/transform.js');
    await s3.send(new PutObjectCommand({ Bucket: RAW, Key: 'sales/orders/s.csv', Body: await readFile('samples/sales_orders.csv') }));
    const event = { Records: [{ s3: { bucket: { name: RAW }, object: { key: 'sales/orders/s.csv' } } }] } as unknown as S3Event;
    await handler(event, context);

    const queued = await receiveAll(refreshQueueUrl);
    expect(queued.map((m) => [m.Attributes!.MessageGroupId, JSON.parse(m.Body!).model]).sort()).toEqual([
      ['daily_revenue', 'daily_revenue'],
      ['top_products', 'top_products'],
    ]);
    const dailyMessage = queued.find((m) => m.Attributes!.MessageGroupId === 'daily_revenue')!;
    expect(JSON.parse(dailyMessage.Body!)).toMatchObject({ cause: 'sales/orders/s.csv', change: { all: false } });

    const { handleRefreshEvent } = await import('../../src/handlers/refresh.js');
    const statements: string[] = [];
    await seedColumns([['order_date', 'date'], ['orders', 'bigint'], ['units', 'bigint'], ['revenue', 'decimal']]);
    const first = await handleRefreshEvent(sqsEvent([{ id: '1', body: dailyMessage.Body! }]), deps(statements));
    expect(first.batchItemFailures).toEqual([]);

    const [create, unload, add, set] = statements;
    expect(create).toBe(
      `CREATE EXTERNAL TABLE IF NOT EXISTS \`${DATABASE}\`.\`daily_revenue\` (\n  \`order_date\` date,\n  \`orders\` bigint,\n  \`units\` bigint,\n  \`revenue\` decimal(38,2)\n)\nPARTITIONED BY (\`partition_year\` string)\nSTORED AS PARQUET\nLOCATION 's3://${PROCESSED}/models/daily_revenue/'`,
    );
    const location = /TO '(s3:\/\/[^']+)'/.exec(unload!)![1]!;
    expect(location).toMatch(new RegExp(`^s3://${PROCESSED}/models/daily_revenue/partition_year=2024/\\d{8}T\\d{6}Z-[0-9a-f]{8}/$`));
    expect(unload).toContain("FROM sales_orders_current");
    expect(unload).toContain(`WHERE "order_date" >= DATE '2024-01-01' AND "order_date" < DATE '2025-01-01'`);
    expect(unload).toContain("WITH (format = 'PARQUET', compression = 'SNAPPY')");
    expect(add).toBe(`ALTER TABLE \`${DATABASE}\`.\`daily_revenue\` ADD IF NOT EXISTS PARTITION (\`partition_year\` = '2024') LOCATION '${location}'`);
    expect(set).toBe(`ALTER TABLE \`${DATABASE}\`.\`daily_revenue\` PARTITION (\`partition_year\` = '2024') SET LOCATION '${location}'`);
    const firstFiles = await keysUnder('models/daily_revenue/partition_year=2024/');
    expect(firstFiles).toHaveLength(1);

    // The same change again: a second location, swapped in; the first one's files removed after.
    const again: string[] = [];
    await handleRefreshEvent(sqsEvent([{ id: '2', body: dailyMessage.Body! }]), deps(again));
    expect(again.map((s) => s.split(/\s+/).slice(0, 2).join(' '))).toEqual(['UNLOAD (SELECT', 'ALTER TABLE', 'ALTER TABLE']);
    const secondFiles = await keysUnder('models/daily_revenue/partition_year=2024/');
    expect(secondFiles).toHaveLength(1);
    expect(secondFiles[0]).not.toBe(firstFiles[0]);
    const state = JSON.parse(await (await s3.send(new (await import('@aws-sdk/client-s3')).GetObjectCommand({ Bucket: PROCESSED, Key: 'models/_state/daily_revenue.json' }))).Body!.transformToString());
    expect(state.partitions['2024']).toBe(`s3://${PROCESSED}/${secondFiles[0]!.replace(/[^/]+$/, '')}`);
    expect(state.record).toMatchObject({ model: 'daily_revenue', state: 'fresh', partitions: ['2024'] });
  });

  it('a failing refresh fails its message (and the ones after it) and publishes a FAILED notice naming the model', async () => {
    const { handleRefreshEvent } = await import('../../src/handlers/refresh.js');
    const failing = deps([]);
    failing.engine.materialize = async () => {
      throw new Error('Athena said: TABLE_NOT_FOUND');
    };
    const body = JSON.stringify({ model: 'top_products', change: { all: true }, cause: 'test' });
    const { result, stdout, stderr } = await capturingStdout(() => handleRefreshEvent(sqsEvent([{ id: 'a', body }, { id: 'b', body }]), failing));
    expect(jsonRecords(stdout + stderr)).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'model refresh failed', model: 'top_products' }));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
    const notices = (await receiveAll(noticesUrl)).map((m) => JSON.parse(m.Body!));
    expect(notices).toContainEqual(expect.objectContaining({ status: 'FAILED', dataset: 'top_products', source: 'model:top_products', error: expect.stringContaining('model top_products: refresh failed: Athena said: TABLE_NOT_FOUND') }));
  });
});
