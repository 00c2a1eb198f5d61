import { createHash } from 'node:crypto';

/**
 * When the transform hands a raw object to the fan-out state machine instead of converting it, and under which
 * execution name. One Lambda converts ~10 MB/s, so above some size it cannot finish within its 15 minutes; the state
 * machine converts such an object in byte ranges, side by side (statemachine/fan-out.asl.json).
 */

/** The object as an S3 event names it: the fields that tell one upload of a key from another. */
export interface ObjectVersion {
  key: string;
  versionId?: string;
  eTag?: string;
  /** S3's per-key event order; the same in every delivery and retry of one event. */
  sequencer?: string;
  /** When nothing else names the version (an event without them, read back from the store). */
  lastModified?: Date;
}

/** Starts the fan-out of one raw object: a Step Functions execution on AWS. */
export interface FanOutStarter {
  /**
   * Starts an execution named `name` with input `{ key }`. One of that name that exists already means the object was
   * handed off before, which is success: Step Functions answers a running one with the same input as a fresh start,
   * and refuses a closed one (ExecutionAlreadyExists), reported as `alreadyStarted`.
   */
  start(name: string, input: { key: string }): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

/** Above the threshold (bytes) the object fans out; a threshold of 0 switches the fan-out off. */
export function handsOff(sizeBytes: number, thresholdBytes: number): boolean {
  return thresholdBytes > 0 && sizeBytes > thresholdBytes;
}

/** Step Functions allows 1–80 characters and no whitespace, brackets, wildcards or `"#%\^|~\`$&,;:/`; we keep to [A-Za-z0-9_-]. */
const MAX_NAME = 80;
const HASH_LENGTH = 32;

/**
 * The execution name of one upload of one key: the same for every retry and duplicate delivery of its event (so a
 * second execution is never started), another for the next upload. A readable end of the key, then a hash of the key
 * and its version that makes the name unique.
 */
export function executionName(object: ObjectVersion): string {
  const identity = [
    object.key,
    `v=${object.versionId ?? ''}`,
    `e=${(object.eTag ?? '').replace(/"/g, '')}`,
    `s=${object.sequencer ?? ''}`,
    `m=${object.lastModified?.toISOString() ?? ''}`,
  ].join('\n');
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, HASH_LENGTH);
  const readable = object.key
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(-(MAX_NAME - HASH_LENGTH - 1))
    .replace(/^-+/, '');
  return readable ? `${readable}-${hash}` : hash;
}
