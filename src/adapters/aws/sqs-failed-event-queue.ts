import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { readInvocationRecord, type FailedEvent, type FailedEventQueue } from '../../pipeline/run/failed-events.js';

export interface SqsFailedEventQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /**
   * Seconds each received event stays hidden from other readers while it is re-processed. A batch is processed one
   * event after another, so the timeout is this times the batch size. Default 900: the longest a Lambda may run.
   */
  secondsPerEvent?: number;
}

/** SQS takes at most 10 messages per receive and hides a message for at most 12 hours. */
const MAX_BATCH = 10;
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** The transform function's failure destination: an SQS queue of Lambda invocation records. */
export class SqsFailedEventQueue implements FailedEventQueue {
  /** Message id → receipt handle of its latest receive: SQS deletes by receipt handle, not by id. */
  private readonly receipts = new Map<string, string>();

  constructor(private readonly options: SqsFailedEventQueueOptions) {}

  async receive(max: number): Promise<FailedEvent[]> {
    const count = Math.max(1, Math.min(MAX_BATCH, max));
    const { Messages = [] } = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: count,
        WaitTimeSeconds: 1,
        VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, (this.options.secondsPerEvent ?? 900) * count),
      }),
    );
    return Messages.map((message) => {
      this.receipts.set(message.MessageId!, message.ReceiptHandle!);
      return { id: message.MessageId!, record: readInvocationRecord(message.Body ?? '') };
    });
  }

  async acknowledge(event: FailedEvent): Promise<void> {
    await this.options.client.send(new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: this.receiptOf(event) }));
    this.receipts.delete(event.id);
  }

  async release(event: FailedEvent): Promise<void> {
    await this.options.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: this.receiptOf(event), VisibilityTimeout: 0 }),
    );
    this.receipts.delete(event.id);
  }

  async approximateCount(): Promise<number> {
    const { Attributes = {} } = await this.options.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages ?? 0);
  }

  private receiptOf(event: FailedEvent): string {
    const receipt = this.receipts.get(event.id);
    if (!receipt) throw new Error(`message ${event.id} was not received from ${this.options.queueUrl}`);
    return receipt;
  }
}
