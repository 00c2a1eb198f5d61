import { frameJsonRecords } from '../pipeline/read/jsonl.js';
import { GluelessError } from '../pipeline/contract/errors.js';

/**
 * Putting a JSON-lines file into a delivery stream (`glueless send`): records framed as the transform frames them
 * (NDJSON or concatenated objects; blank lines skipped), each sent with a line break after it so the objects Firehose
 * delivers are JSON lines again. Calls carry at most 500 records and 4 MiB, Firehose's PutRecordBatch limits; a record
 * over 1,000 KiB is refused with its line, never sent. The records a response reports as failed are sent again with
 * exponential backoff until none are left or the attempts run out: nothing is dropped without being counted.
 */

/** The delivery stream as the sender sees it (the AWS adapter is src/adapters/aws/firehose-delivery-stream.ts). */
export interface DeliveryStream {
  /** Puts records in one call; resolves with the failed ones by index (an empty list when all were accepted). */
  putRecordBatch(records: Uint8Array[]): Promise<Array<{ index: number; errorCode: string; errorMessage?: string }>>;
}

export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1000 * 1024;

export interface SendOptions {
  fileName: string;
  /** Attempts per record, the first included (default 8). */
  maxAttempts?: number;
  /** First backoff in ms, doubled per attempt up to `maxBackoffMs` (defaults 100 and 5000). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called after every call with the totals so far (for a progress bar). */
  onProgress?: (progress: SendProgress) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface SendProgress {
  /** Bytes of the file framed so far. */
  bytesRead: number;
  accepted: number;
  refused: number;
  failed: number;
  retried: number;
}

export interface SendSummary extends SendProgress {
  records: number;
  calls: number;
  /** Records refused before sending (over 1,000 KiB), with their line. */
  refusals: Array<{ line: number; bytes: number }>;
  /** Records still failed when the attempts ran out, with their line and last error. */
  failures: Array<{ line: number; errorCode: string; errorMessage?: string }>;
}

interface Pending {
  line: number;
  data: Uint8Array;
  attempts: number;
}

export async function sendRecords(bytes: AsyncIterable<Uint8Array>, stream: DeliveryStream, options: SendOptions): Promise<SendSummary> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseBackoffMs ?? 100;
  const cap = options.maxBackoffMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const encoder = new TextEncoder();
  const summary: SendSummary = { bytesRead: 0, records: 0, calls: 0, accepted: 0, refused: 0, failed: 0, retried: 0, refusals: [], failures: [] };
  const report = () => options.onProgress?.({ ...summary });

  /** Sends `batch` (within the limits) until every record is accepted or out of attempts. */
  const deliver = async (batch: Pending[]) => {
    let todo = batch;
    for (let round = 0; todo.length > 0; round++) {
      if (round > 0) await sleep(Math.min(cap, base * 2 ** (round - 1)) * (0.5 + Math.random() / 2));
      summary.calls++;
      let failed: Array<{ index: number; errorCode: string; errorMessage?: string }>;
      try {
        failed = await stream.putRecordBatch(todo.map((p) => p.data));
      } catch (error) {
        if (!isRetryable(error)) throw error;
        failed = todo.map((_, index) => ({ index, errorCode: (error as Error).name, errorMessage: (error as Error).message }));
      }
      const again: Pending[] = [];
      const failedAt = new Map(failed.map((f) => [f.index, f]));
      todo.forEach((pending, index) => {
        const failure = failedAt.get(index);
        if (!failure) {
          summary.accepted++;
          return;
        }
        pending.attempts++;
        if (pending.attempts < maxAttempts) {
          summary.retried++;
          again.push(pending);
        } else {
          summary.failed++;
          summary.failures.push({ line: pending.line, errorCode: failure.errorCode, errorMessage: failure.errorMessage });
        }
      });
      todo = again;
      report();
    }
  };

  let batch: Pending[] = [];
  let batchBytes = 0;
  for await (const framed of frameJsonRecords(countingBytes(bytes, summary), { fileName: options.fileName, maxRecordChars: 256 * 1024 * 1024 })) {
    for (const record of framed) {
      summary.records++;
      const data = encoder.encode(`${record.text}\n`);
      if (data.byteLength > MAX_RECORD_BYTES) {
        summary.refused++;
        summary.refusals.push({ line: record.line, bytes: data.byteLength });
        continue;
      }
      if (batch.length === MAX_BATCH_RECORDS || batchBytes + data.byteLength > MAX_BATCH_BYTES) {
        await deliver(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push({ line: record.line, data, attempts: 0 });
      batchBytes += data.byteLength;
    }
  }
  if (batch.length > 0) await deliver(batch);
  report();
  if (summary.records === 0) throw new GluelessError(`${options.fileName}: no records to send`);
  return summary;
}

/** Throttling and service errors are worth another try; anything else (no such stream, no permission) is not. */
function isRetryable(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  return /ServiceUnavailable|Throttl|LimitExceeded|InternalFailure|TimeoutError|ECONNRESET/.test(name) || status >= 500;
}

async function* countingBytes(bytes: AsyncIterable<Uint8Array>, summary: SendSummary): AsyncGenerator<Uint8Array> {
  for await (const chunk of bytes) {
    summary.bytesRead += chunk.byteLength;
    yield chunk;
  }
}
