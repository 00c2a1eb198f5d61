import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FirehoseDeliveryStream } from '../../adapters/aws/firehose-delivery-stream.js';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { sendRecords, type DeliveryStream, type SendProgress, type SendSummary } from '../../send/send-records.js';
import { formatBytes } from '../format.js';

/**
 * `glueless send <delivery stream> <file.jsonl>`: the file's records into a Firehose delivery stream, with a progress
 * line while it runs and a summary after; exit status 1 when any record was refused or failed after every retry.
 * Progress goes through `onProgress`, so any progress bar can be wired to it.
 */
export async function sendFile(
  streamName: string,
  file: string,
  print: (line: string) => void,
  options: {
    stream?: DeliveryStream;
    onProgress?: (progress: SendProgress, totalBytes: number) => void;
    maxAttempts?: number;
    /** No progress bar. */
    quiet?: boolean;
  } = {},
): Promise<SendSummary> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new GluelessError(`${file}: file not found`);
  }
  const stream = options.stream ?? new FirehoseDeliveryStream(streamName);
  const onProgress = options.onProgress ?? (process.stderr.isTTY && !options.quiet ? progressLine(file) : undefined);
  const summary = await sendRecords(createReadStream(file) as AsyncIterable<Uint8Array>, stream, {
    fileName: file,
    maxAttempts: options.maxAttempts,
    onProgress: onProgress && ((progress) => onProgress(progress, size)),
  });
  if (onProgress && process.stderr.isTTY && !options.onProgress) process.stderr.write('\n');
  print(summarizeSend(file, streamName, size, summary));
  for (const refusal of summary.refusals.slice(0, 10)) {
    print(`  line ${refusal.line}: refused, ${formatBytes(refusal.bytes)} is over Firehose's 1,000 KiB record limit`);
  }
  for (const failure of summary.failures.slice(0, 10)) {
    print(`  line ${failure.line}: failed after every retry: ${failure.errorCode}${failure.errorMessage ? ` (${failure.errorMessage})` : ''}`);
  }
  if (summary.refused > 0 || summary.failed > 0) {
    throw new GluelessError(`${file}: ${summary.refused + summary.failed} of ${summary.records} records not delivered`);
  }
  return summary;
}

export function summarizeSend(file: string, streamName: string, size: number, s: SendSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return (
    `${file} → ${streamName}: ${n(s.accepted)} of ${n(s.records)} records accepted (${formatBytes(size)}, ${n(s.calls)} PutRecordBatch calls` +
    `${s.retried > 0 ? `, ${n(s.retried)} retried` : ''}), ${n(s.refused)} refused, ${n(s.failed)} failed`
  );
}

/** A one-line bar on stderr, rewritten in place. */
function progressLine(file: string): (progress: SendProgress, totalBytes: number) => void {
  return (progress, totalBytes) => {
    const share = totalBytes === 0 ? 1 : Math.min(1, progress.bytesRead / totalBytes);
    const width = 30;
    const bar = '█'.repeat(Math.round(share * width)).padEnd(width, '░');
    process.stderr.write(`\r${file} ${bar} ${(share * 100).toFixed(0).padStart(3)}%  ${progress.accepted.toLocaleString('en-US')} accepted`);
  };
}
