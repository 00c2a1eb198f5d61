import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DeliveryStream } from '../../send/send-records.js';

/** A Kinesis Data Firehose delivery stream: PutRecordBatch, failed records read from the per-record responses. */
export class FirehoseDeliveryStream implements DeliveryStream {
  constructor(
    private readonly name: string,
    private readonly client: FirehoseClient = new FirehoseClient({}),
  ) {}

  async putRecordBatch(records: Uint8Array[]) {
    const response = await this.client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: this.name, Records: records.map((Data) => ({ Data })) }),
    );
    if (!response.FailedPutCount) return [];
    return (response.RequestResponses ?? []).flatMap((entry, index) =>
      entry.ErrorCode ? [{ index, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage }] : [],
    );
  }
}
