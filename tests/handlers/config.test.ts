import { ConfigError, readConfig, readFanOutConfig, readRangeConfig } from '../../src/handlers/config.js';

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

describe('fan-out environment', () => {
  const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:glueless-fan-out';

  it('reads the state machine and the threshold', () => {
    expect(readFanOutConfig({ FANOUT_STATE_MACHINE_ARN: arn, FANOUT_THRESHOLD_BYTES: '4294967296' })).toEqual({ stateMachineArn: arn, thresholdBytes: 4294967296 });
  });

  it('has no fan-out without a state machine or with a threshold of 0', () => {
    expect(readFanOutConfig({})).toBeUndefined();
    expect(readFanOutConfig({ FANOUT_STATE_MACHINE_ARN: '', FANOUT_THRESHOLD_BYTES: '4294967296' })).toBeUndefined();
    expect(readFanOutConfig({ FANOUT_STATE_MACHINE_ARN: 'none', FANOUT_THRESHOLD_BYTES: '4294967296' })).toBeUndefined();
    expect(readFanOutConfig({ FANOUT_STATE_MACHINE_ARN: arn, FANOUT_THRESHOLD_BYTES: '0' })).toBeUndefined();
  });

  it('names a malformed value in one line', () => {
    expect(() => readFanOutConfig({ FANOUT_STATE_MACHINE_ARN: 'glueless-fan-out', FANOUT_THRESHOLD_BYTES: '4 GiB' })).toThrow(
      new ConfigError('transform function environment: FANOUT_STATE_MACHINE_ARN is not a Step Functions state machine ARN; FANOUT_THRESHOLD_BYTES is not a whole number of bytes'),
    );
    expect(() => readFanOutConfig({ FANOUT_STATE_MACHINE_ARN: arn, FANOUT_THRESHOLD_BYTES: '-1' })).toThrow(/FANOUT_THRESHOLD_BYTES/);
  });
});

describe('transform range workers', () => {
  const memory = (mb: number) => ({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(mb) });

  it('default to the vCPUs the function has by its memory, no more than the cores the OS shows', () => {
    // Lambda shows 2 cores up to 3,008 MB (reported), but 1,769 MB is one vCPU of time.
    expect(readRangeConfig(memory(128), 2)).toEqual({ workers: 1 });
    expect(readRangeConfig(memory(1769), 2)).toEqual({ workers: 1 });
    expect(readRangeConfig(memory(3538), 2)).toEqual({ workers: 2 });
    expect(readRangeConfig(memory(5307), 3)).toEqual({ workers: 3 });
    expect(readRangeConfig(memory(10240), 6)).toEqual({ workers: 6 });
    expect(readRangeConfig(memory(10240), 4)).toEqual({ workers: 4 });
    // Off Lambda (glueless invoke), the cores.
    expect(readRangeConfig({}, 8)).toEqual({ workers: 8 });
    expect(readRangeConfig({ RANGE_WORKERS: '0' }, 3)).toEqual({ workers: 3 });
  });

  it('take RANGE_WORKERS and RANGE_MIN_BYTES as set, whatever the memory', () => {
    expect(readRangeConfig({ ...memory(1769), RANGE_WORKERS: '4', RANGE_MIN_BYTES: '65536' }, 2)).toEqual({ workers: 4, minRangeBytes: 65536 });
    expect(readRangeConfig({ ...memory(10240), RANGE_WORKERS: ' 1 ' }, 6)).toEqual({ workers: 1 });
  });

  it('names a malformed value in one line', () => {
    expect(() => readRangeConfig({ RANGE_WORKERS: 'two', RANGE_MIN_BYTES: '0' }, 2)).toThrow(
      new ConfigError('transform function environment: RANGE_WORKERS is not a whole number of worker threads; RANGE_MIN_BYTES is not a positive whole number of bytes'),
    );
  });
});
