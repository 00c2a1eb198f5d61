import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SnsNotifier } from '../../../src/adapters/aws/sns-notifier.js';
import type { RunManifest } from '../../../src/pipeline/contract/run-manifest.js';
import type { RunNotice } from '../../../src/pipeline/contract/ports.js';
import { useMoto } from '../../support/moto.js';

const moto = useMoto();
let sns: SNSClient;
let sqs: SQSClient;
let notifier: SnsNotifier;
let queueUrl: string;

beforeAll(() => {
  sns = new SNSClient({});
  sqs = new SQSClient({});
});

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
});

beforeEach(async () => {
  await moto.reset();
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'glueless-runs' }));
  ({ QueueUrl: queueUrl } = (await sqs.send(new CreateQueueCommand({ QueueName: 'run-watcher' }))) as { QueueUrl: string });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: 'false' },
    }),
  );
  notifier = new SnsNotifier({ client: sns, topicArn: TopicArn! });
});

/** The SNS envelope of the one message the queue holds. */
async function receiveEnvelope(): Promise<{
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { Type: string; Value: string }>;
}> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  expect(Messages).toHaveLength(1);
  return JSON.parse(Messages[0]!.Body!);
}

function manifest(partitionCount: number): RunManifest {
  const partitions = Array.from({ length: partitionCount }, (_, i) =>
    `order_date=${new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10)}/`,
  );
  return {
    dataset: 'sales_orders',
    table: 'sales_orders',
    source: 'sales/orders/2024-01.csv',
    outcome: 'ok',
    rowsRead: 10,
    rowsWritten: 9,
    rowsQuarantined: 1,
    quarantinedByRule: { cast: 1 },
    bytesIn: 512,
    bytesOut: 2048,
    partitions,
    outputs: partitions.map((partition) => ({
      key: `sales_orders/${partition}part-00000000-0000-0000-0000-000000000000.parquet`,
      partition,
      rows: 1,
      bytes: 1024,
    })),
    warnings: [],
  startedAt: '2024-02-01T00:00:00.000Z',
    durationMs: 1234,
  };
}

describe('SnsNotifier', () => {
  it('publishes the notice as JSON with a subject and filterable attributes', async () => {
    const notice: RunNotice = {
      status: 'SUCCEEDED',
      dataset: 'sales_orders',
      source: 's3://lake-raw/sales/orders/2024-01.csv',
      manifest: manifest(2),
    };
    await notifier.publish(notice);

    const envelope = await receiveEnvelope();
    expect(JSON.parse(envelope.Message)).toEqual(notice);
    expect(envelope.Subject).toBe('glueless SUCCEEDED sales_orders');
    expect(envelope.MessageAttributes.status).toEqual({ Type: 'String', Value: 'SUCCEEDED' });
    expect(envelope.MessageAttributes.dataset).toEqual({ Type: 'String', Value: 'sales_orders' });
  });

  it('publishes a failed run with its error', async () => {
    const notice: RunNotice = {
      status: 'FAILED',
      dataset: 'sales_orders',
      source: 's3://lake-raw/sales/orders/bad.csv',
      error: 'sales/orders/bad.csv: header is missing column "order_id"',
    };
    await notifier.publish(notice);

    const envelope = await receiveEnvelope();
    expect(JSON.parse(envelope.Message)).toEqual(notice);
    expect(envelope.Subject).toBe('glueless FAILED sales_orders');
    expect(envelope.MessageAttributes.status.Value).toBe('FAILED');
  });

  it('drops the per-file lists of a manifest too large for SNS, keeping the counts', async () => {
    const notice: RunNotice = {
      status: 'SUCCEEDED',
      dataset: 'sales_orders',
      source: 's3://lake-raw/sales/orders/decade.csv',
      manifest: manifest(3000),
    };
    expect(JSON.stringify(notice).length).toBeGreaterThan(256 * 1024);
    await notifier.publish(notice);

    const message = JSON.parse((await receiveEnvelope()).Message);
    expect(message.truncated).toBe(true);
    expect(message.manifest).toEqual({ ...notice.manifest, partitions: [], outputs: [] });
  });
});
