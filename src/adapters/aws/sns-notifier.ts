import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier, RunNotice } from '../../pipeline/contract/ports.js';

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
}

/** SNS takes at most 256 KiB per message, attributes included; this leaves room for the attributes. */
const MAX_MESSAGE_BYTES = 256 * 1024 - 4096;
const MAX_SUBJECT_CHARS = 100;
const MAX_ERROR_CHARS = 4096;

/** Publishes the end of each run to an SNS topic, with status and dataset as attributes subscribers can filter on. */
export class SnsNotifier implements Notifier {
  constructor(private readonly options: SnsNotifierOptions) {}

  async publish(notice: RunNotice): Promise<void> {
    await this.options.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Subject: subjectFor(notice),
        Message: messageFor(notice),
        MessageAttributes: {
          status: { DataType: 'String', StringValue: notice.status },
          dataset: { DataType: 'String', StringValue: notice.dataset },
        },
      }),
    );
  }
}

/** SNS subjects must be printable ASCII of at most 100 characters. */
function subjectFor(notice: RunNotice): string {
  return `glueless ${notice.status} ${notice.dataset}`.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_SUBJECT_CHARS);
}

/**
 * The notice as JSON. A run that wrote thousands of partitions has a manifest too large for SNS; then the notice
 * carries the counts without the per-file lists, marked `truncated`, and the full manifest stays in the lake.
 */
function messageFor(notice: RunNotice): string {
  const full = JSON.stringify(notice);
  if (Buffer.byteLength(full, 'utf8') <= MAX_MESSAGE_BYTES) return full;
  return JSON.stringify({
    ...notice,
    ...(notice.error ? { error: notice.error.slice(0, MAX_ERROR_CHARS) } : {}),
    ...(notice.manifest ? { manifest: { ...notice.manifest, partitions: [], outputs: [] } } : {}),
    truncated: true,
  });
}
