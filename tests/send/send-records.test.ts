import { GluelessError } from '../../src/pipeline/contract/errors.js';
import { MAX_BATCH_BYTES, sendRecords, type DeliveryStream } from '../../src/send/send-records.js';

async function* bytesOf(text: string) {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += 10_000) yield bytes.subarray(at, at + 10_000);
}

/** A delivery stream that keeps what it accepted and fails records as `fail` says (by call number and record text). */
class RecordingStream implements DeliveryStream {
  calls: string[][] = [];
  accepted: string[] = [];
  constructor(private readonly fail: (call: number, record: string) => string | undefined = () => undefined) {}
  async putRecordBatch(records: Uint8Array[]) {
    const texts = records.map((r) => new TextDecoder().decode(r));
    const call = this.calls.push(texts);
    const failed: Array<{ index: number; errorCode: string }> = [];
    texts.forEach((text, index) => {
      const code = this.fail(call, text);
      if (code) failed.push({ index, errorCode: code });
      else this.accepted.push(text);
    });
    return failed;
  }
}

const noSleep = { sleep: async () => undefined };

describe('sendRecords', () => {
  it('batches at most 500 records and 4 MiB a call, each record a line, in file order', async () => {
    const small = Array.from({ length: 1203 }, (_, i) => JSON.stringify({ i }));
    const stream = new RecordingStream();
    const summary = await sendRecords(bytesOf(small.join('\n')), stream, { fileName: 'f.jsonl', ...noSleep });
    expect(stream.calls.map((c) => c.length)).toEqual([500, 500, 203]);
    expect(stream.accepted).toEqual(small.map((s) => `${s}\n`));
    expect(summary).toMatchObject({ records: 1203, accepted: 1203, refused: 0, failed: 0, calls: 3 });

    const big = Array.from({ length: 9 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(900 * 1024) }));
    const bigStream = new RecordingStream();
    await sendRecords(bytesOf(big.join('')), bigStream, { fileName: 'f.jsonl', ...noSleep });
    expect(bigStream.calls.map((c) => c.length)).toEqual([4, 4, 1]);
    for (const call of bigStream.calls) expect(call.reduce((sum, r) => sum + Buffer.byteLength(r), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('refuses a record over 1,000 KiB with its line and sends the rest', async () => {
    const lines = ['{"a":1}', JSON.stringify({ pad: 'x'.repeat(1000 * 1024) }), '{"a":3}'];
    const stream = new RecordingStream();
    const summary = await sendRecords(bytesOf(lines.join('\n')), stream, { fileName: 'f.jsonl', ...noSleep });
    expect(summary).toMatchObject({ records: 3, accepted: 2, refused: 1, refusals: [{ line: 2, bytes: 1000 * 1024 + 11 }] });
    expect(stream.accepted).toEqual(['{"a":1}\n', '{"a":3}\n']);
  });

  it('sends the records a response reports as failed again, with growing backoff, until none are left', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ i }));
    // Every odd record is throttled on its first two attempts.
    const attempts = new Map<string, number>();
    const stream = new RecordingStream((_call, record) => {
      const seen = (attempts.get(record) ?? 0) + 1;
      attempts.set(record, seen);
      return JSON.parse(record).i % 2 === 1 && seen <= 2 ? 'ServiceUnavailableException' : undefined;
    });
    const waits: number[] = [];
    const summary = await sendRecords(bytesOf(lines.join('\n')), stream, {
      fileName: 'f.jsonl',
      sleep: async (ms) => void waits.push(ms),
    });
    expect(stream.calls.map((c) => c.length)).toEqual([10, 5, 5]);
    expect([...stream.accepted].sort()).toEqual(lines.map((l) => `${l}\n`).sort());
    expect(summary).toMatchObject({ accepted: 10, retried: 10, failed: 0 });
    expect(waits).toHaveLength(2);
    expect(waits[0]!).toBeGreaterThanOrEqual(50);
    expect(waits[1]!).toBeGreaterThanOrEqual(100);
  });

  it('counts records that still fail when the attempts run out, with their line and error', async () => {
    const stream = new RecordingStream((_call, record) => (record.includes('"bad"') ? 'InternalFailure' : undefined));
    const summary = await sendRecords(bytesOf('{"ok":1}\n{"bad":2}\n'), stream, { fileName: 'f.jsonl', maxAttempts: 3, ...noSleep });
    expect(summary).toMatchObject({ accepted: 1, failed: 1, failures: [{ line: 2, errorCode: 'InternalFailure' }] });
    expect(stream.calls).toHaveLength(3);
  });

  it('retries a throttled call as a whole, and stops on an error no retry can fix', async () => {
    let calls = 0;
    const throttled: DeliveryStream = {
      putRecordBatch: async (records) => {
        if (++calls === 1) throw Object.assign(new Error('slow down'), { name: 'ServiceUnavailableException' });
        return records.length ? [] : [];
      },
    };
    expect(await sendRecords(bytesOf('{"a":1}'), throttled, { fileName: 'f.jsonl', ...noSleep })).toMatchObject({ accepted: 1, calls: 2 });
    const missing: DeliveryStream = {
      putRecordBatch: async () => {
        throw Object.assign(new Error('Firehose nope not found'), { name: 'ResourceNotFoundException' });
      },
    };
    await expect(sendRecords(bytesOf('{"a":1}'), missing, { fileName: 'f.jsonl', ...noSleep })).rejects.toThrow('Firehose nope not found');
    await expect(sendRecords(bytesOf('\n\n'), missing, { fileName: 'empty.jsonl', ...noSleep })).rejects.toThrow(GluelessError);
  });
});
