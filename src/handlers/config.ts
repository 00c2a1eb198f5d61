import { z } from 'zod';
import { GluelessError } from '../pipeline/errors.js';

/** What the transform function needs from its environment, read once at the edge. */
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

const required = z.string().trim().min(1, 'is not set');

const environment = z.object({
  RAW_BUCKET: required,
  PROCESSED_BUCKET: required,
  ATHENA_RESULTS_BUCKET: required,
  GLUE_DATABASE: required,
  ATHENA_WORKGROUP: required,
  NOTICE_TOPIC_ARN: required.regex(/^arn:[^:]+:sns:/, 'is not an SNS topic ARN'),
});

export function readConfig(env: NodeJS.ProcessEnv = process.env): TransformConfig {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name} ${env[name]?.trim() ? issue.message : 'is not set'}`;
    });
    throw new ConfigError(`transform function environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    rawBucket: e.RAW_BUCKET,
    processedBucket: e.PROCESSED_BUCKET,
    athenaResultsBucket: e.ATHENA_RESULTS_BUCKET,
    glueDatabase: e.GLUE_DATABASE,
    athenaWorkgroup: e.ATHENA_WORKGROUP,
    noticeTopicArn: e.NOTICE_TOPIC_ARN,
  };
}
