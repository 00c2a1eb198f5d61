import { availableParallelism } from 'node:os';
import { GluelessError } from '../pipeline/contract/errors.js';

/**
 * What the transform function needs from its environment, read once at the edge. Checked by hand rather than with the
 * schema library the contracts use: six variables do not justify half a megabyte in the Lambda bundle.
 */
export interface TransformConfig {
  rawBucket: string;
  processedBucket: string;
  athenaResultsBucket: string;
  glueDatabase: string;
  athenaWorkgroup: string;
  noticeTopicArn: string;
}

/** A function's environment lacks a variable it needs, or holds a malformed one. */
export class ConfigError extends GluelessError {}

const VARIABLES = {
  rawBucket: 'RAW_BUCKET',
  processedBucket: 'PROCESSED_BUCKET',
  athenaResultsBucket: 'ATHENA_RESULTS_BUCKET',
  glueDatabase: 'GLUE_DATABASE',
  athenaWorkgroup: 'ATHENA_WORKGROUP',
  noticeTopicArn: 'NOTICE_TOPIC_ARN',
} as const satisfies Record<keyof TransformConfig, string>;

const SHAPES: Partial<Record<keyof TransformConfig, [RegExp, string]>> = {
  noticeTopicArn: [/^arn:[^:]+:sns:/, 'is not an SNS topic ARN'],
};

export function readConfig(env: NodeJS.ProcessEnv = process.env): TransformConfig {
  const problems: string[] = [];
  const config = {} as TransformConfig;
  for (const [field, name] of Object.entries(VARIABLES) as Array<[keyof TransformConfig, string]>) {
    const value = env[name]?.trim() ?? '';
    const shape = SHAPES[field];
    if (value === '') problems.push(`${name} is not set`);
    else if (shape && !shape[0].test(value)) problems.push(`${name} ${shape[1]}`);
    config[field] = value;
  }
  if (problems.length > 0) throw new ConfigError(`transform function environment: ${problems.join('; ')}`);
  return config;
}

/** Where, and above which size, the transform hands an object to the fan-out state machine. */
export interface FanOutConfig {
  stateMachineArn: string;
  /** Bytes; 0 switches the fan-out off. */
  thresholdBytes: number;
}

/**
 * FANOUT_STATE_MACHINE_ARN and FANOUT_THRESHOLD_BYTES. Without a state machine (unset, empty or `none`: `glueless invoke`
 * on a laptop, as events/env.json says) or with a threshold of 0 there is no fan-out: undefined, and every object is
 * converted in this function.
 */
export function readFanOutConfig(env: NodeJS.ProcessEnv = process.env): FanOutConfig | undefined {
  const named = env.FANOUT_STATE_MACHINE_ARN?.trim() ?? '';
  const stateMachineArn = named === 'none' ? '' : named;
  const threshold = env.FANOUT_THRESHOLD_BYTES?.trim() ?? '';
  const problems: string[] = [];
  if (stateMachineArn !== '' && !/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$/.test(stateMachineArn)) {
    problems.push('FANOUT_STATE_MACHINE_ARN is not a Step Functions state machine ARN');
  }
  const thresholdBytes = threshold === '' ? 0 : Number(threshold);
  if (!Number.isSafeInteger(thresholdBytes) || thresholdBytes < 0) problems.push('FANOUT_THRESHOLD_BYTES is not a whole number of bytes');
  if (problems.length > 0) throw new ConfigError(`transform function environment: ${problems.join('; ')}`);
  return stateMachineArn !== '' && thresholdBytes > 0 ? { stateMachineArn, thresholdBytes } : undefined;
}

/** How many range worker threads the transform converts a big plain CSV or JSON-lines object with, and its smallest range. */
export interface RangeConfig {
  /** 1: every object serially. */
  workers: number;
  /** Bytes; undefined: the planner's default (range-plan.ts, 16 MiB). */
  minRangeBytes?: number;
}

/**
 * RANGE_WORKERS (unset, empty or 0: the default below) and RANGE_MIN_BYTES (unset or empty: the planner's default).
 * Read per invocation: two numbers, and a test can change them.
 */
export function readRangeConfig(env: NodeJS.ProcessEnv = process.env, cores: number = availableParallelism()): RangeConfig {
  const workers = env.RANGE_WORKERS?.trim() ?? '';
  const minBytes = env.RANGE_MIN_BYTES?.trim() ?? '';
  const problems: string[] = [];
  const count = workers === '' ? 0 : Number(workers);
  if (!Number.isSafeInteger(count) || count < 0) problems.push('RANGE_WORKERS is not a whole number of worker threads');
  const minRangeBytes = minBytes === '' ? undefined : Number(minBytes);
  if (minRangeBytes !== undefined && (!Number.isSafeInteger(minRangeBytes) || minRangeBytes < 1)) problems.push('RANGE_MIN_BYTES is not a positive whole number of bytes');
  if (problems.length > 0) throw new ConfigError(`transform function environment: ${problems.join('; ')}`);
  return { workers: count === 0 ? defaultRangeWorkers(env, cores) : count, ...(minRangeBytes !== undefined && { minRangeBytes }) };
}

/** Lambda gives a function one vCPU of CPU time per this many MB of memory (AWS's figure). */
export const MB_PER_VCPU = 1769;

/**
 * One worker per vCPU the function has: its memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) over 1,769 MB, rounded, and no
 * more than the cores the OS shows (`os.availableParallelism()`). The cores alone are not enough: Lambda is reported
 * to show 2 of them up to 3,008 MB, where a function has at most 1.7 vCPUs of time (1 at the default 1,769 MB).
 * Without that variable (the handler imported by a script or test; `glueless invoke` sets it), the cores.
 */
export function defaultRangeWorkers(env: NodeJS.ProcessEnv, cores: number): number {
  const memory = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE?.trim() || Number.NaN);
  if (!Number.isFinite(memory) || memory <= 0) return Math.max(1, cores);
  return Math.max(1, Math.min(cores, Math.round(memory / MB_PER_VCPU)));
}
