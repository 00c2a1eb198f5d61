import { ConfigError, readConfig } from '../../src/handlers/config.js';

const complete = {
  RAW_BUCKET: 'raw',
  PROCESSED_BUCKET: 'processed',
  ATHENA_RESULTS_BUCKET: 'results',
  GLUE_DATABASE: 'lake',
  ATHENA_WORKGROUP: 'wg',
  NOTICE_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:notices',
};

describe('transform function environment', () => {
  it('reads every variable into the typed config', () => {
    expect(readConfig(complete)).toEqual({
      rawBucket: 'raw',
      processedBucket: 'processed',
      athenaResultsBucket: 'results',
      glueDatabase: 'lake',
      athenaWorkgroup: 'wg',
      noticeTopicArn: 'arn:aws:sns:eu-west-1:123456789012:notices',
    });
  });

  it('names a missing or empty variable in one line', () => {
    const { RAW_BUCKET: _, ...withoutRaw } = complete;
    expect(() => readConfig(withoutRaw)).toThrow(new ConfigError('transform function environment: RAW_BUCKET is not set'));
    expect(() => readConfig({ ...complete, GLUE_DATABASE: ' ' })).toThrow(/^transform function environment: GLUE_DATABASE is not set$/);
  });

  it('names every problem at once, and a malformed topic ARN', () => {
    expect(() => readConfig({ ...complete, PROCESSED_BUCKET: undefined, NOTICE_TOPIC_ARN: 'notices' })).toThrow(
      'transform function environment: PROCESSED_BUCKET is not set; NOTICE_TOPIC_ARN is not an SNS topic ARN',
    );
  });
});
