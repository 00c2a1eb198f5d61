import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier, RunNotice } from '../../pipeline/contract/ports.js';
import { noticeMessage } from '../../pipeline/run/notice-message.js';

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
}

const MAX_SUBJECT_CHARS = 100;

/** Publishes the end of each run to an SNS topic, with status and dataset as attributes subscribers can filter on. */
export class SnsNotifier implements Notifier {
  constructor(private readonly options: SnsNotifierOptions) {}

  async publish(notice: RunNotice): Promise<void> {
    await this.options.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Subject: subjectFor(notice),
        Message: noticeMessage(notice),
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
