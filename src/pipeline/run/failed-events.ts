import { randomUUID } from 'node:crypto';
import { GluelessError } from '../contract/errors.js';

/**
 * Events whose processing failed after every retry. On AWS, Lambda's OnFailure destination puts an invocation record on
 * the failure queue (SQS); locally, `glueless ingest` writes the same record into the lake's `failed/` folder.
 * `glueless redrive` reads them back through this port and re-processes the raw objects they name.
 */

/** What Lambda sends to an async invocation's failure destination. */
export interface InvocationRecord {
  version: string;
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    /** RetriesExhausted, EventAgeExceeded, … */
    condition: string;
    approximateInvokeCount: number;
  };
  /** The event the function was invoked with: for glueless, an S3 event. Read with `rawKeysOf`. */
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload?: { errorType?: string; errorMessage?: string } | null;
}

export interface FailedEvent {
  /** Names the event while it is waiting: the SQS message id, or the failed folder's file name. */
  id: string;
  record: InvocationRecord;
}

export interface FailedEventQueue {
  /** Up to `max` waiting events this queue has not handed out yet; [] when there are none. */
  receive(max: number): Promise<FailedEvent[]>;
  /** Removes the event for good. Call it only after every object the event names was processed. */
  acknowledge(event: FailedEvent): Promise<void>;
  /** Gives a received event back, at once available to the next redrive. */
  release(event: FailedEvent): Promise<void>;
  /** About how many events are waiting (for a progress bar). */
  approximateCount(): Promise<number>;
}

/** The record names something other than an S3 event: there is nothing glueless can re-process in it. */
export class UnreadableFailedEventError extends GluelessError {}

/**
 * The raw objects an invocation record's S3 event names, keys decoded as the handler decodes them. The S3 test event
 * names none. A record that is not an S3 event throws: it must not be acknowledged as if it had been handled.
 */
export function rawKeysOf(record: InvocationRecord): Array<{ bucket: string; key: string }> {
  const payload = (record as { requestPayload?: unknown } | null)?.requestPayload;
  if (isObject(payload) && payload.Event === 's3:TestEvent') return [];
  if (!isObject(payload) || !Array.isArray(payload.Records)) {
    throw new UnreadableFailedEventError('the record holds no S3 event (requestPayload has no Records)');
  }
  return payload.Records.map((entry: unknown, index: number) => {
    const s3 = isObject(entry) && isObject(entry.s3) ? entry.s3 : undefined;
    const bucket = isObject(s3?.bucket) ? s3.bucket.name : undefined;
    const key = isObject(s3?.object) ? s3.object.key : undefined;
    if (typeof bucket !== 'string' || typeof key !== 'string') {
      throw new UnreadableFailedEventError(`S3 event record ${index + 1} names no bucket and key`);
    }
    try {
      return { bucket, key: decodeS3Key(key) };
    } catch {
      throw new UnreadableFailedEventError(`S3 event record ${index + 1}: key "${key}" is not URL-encoded`);
    }
  });
}

/** A record shaped like Lambda's, for a local run that failed, so both kinds redrive the same way. */
export function failureRecordFor(rawKey: string, bucket: string, error: unknown, now = new Date()): InvocationRecord {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return {
    version: '1.0',
    timestamp: now.toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: 'glueless:local',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    },
    requestPayload: {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'glueless:local',
          eventTime: now.toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key: encodeS3Key(rawKey) } },
        },
      ],
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: name, errorMessage: message },
  };
}

/**
 * A stored message read back as a record. Not JSON, or not an object: it is kept as the payload, so `rawKeysOf`
 * refuses it and redrive reports it instead of deleting it.
 */
export function readInvocationRecord(text: string): InvocationRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed)) return parsed as unknown as InvocationRecord;
  return {
    version: '',
    timestamp: '',
    requestContext: { requestId: '', functionArn: '', condition: 'Unreadable', approximateInvokeCount: 0 },
    requestPayload: text,
    responseContext: { statusCode: 0, executedVersion: '' },
  };
}

/** S3 URL-encodes event keys, with `+` for a space. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
