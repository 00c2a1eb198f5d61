import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RefreshMessage, RefreshQueue } from '../../models/ports.js';
import { GluelessError } from '../../pipeline/contract/errors.js';

/**
 * Model refreshes on an SQS FIFO queue, one message group per model: SQS hands out a group's messages one at a time
 * and in order, so two refreshes of one model never run at once, while different models refresh side by side.
 */
export class SqsRefreshQueue implements RefreshQueue {
  constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  async send(messages: RefreshMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const batch = messages.slice(start, start + 10);
      const { Failed = [] } = await this.options.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(message),
            MessageGroupId: message.model,
            // Every change is its own refresh: two runs touching the same dates must both be refreshed.
            MessageDeduplicationId: randomUUID(),
          })),
        }),
      );
      if (Failed.length > 0) {
        throw new GluelessError(`could not queue model refreshes: ${Failed.map((f) => `${batch[Number(f.Id)]!.model} (${f.Message ?? f.Code})`).join(', ')}`);
      }
    }
  }
}
