import { readCsvRecords, type CsvReadOptions } from '../../../src/pipeline/read/csv.js';
import { CsvByteBatch, readCsvByteBatches } from '../../../src/pipeline/read/csv-bytes.js';
import type { SourceRecord } from '../../../src/pipeline/read/record-reader.js';
import { once } from '../../support/byte-chunks.js';

/** How a reader ends on the bytes: how many records it handed on, and its error's message if it failed. */
async function outcome(batches: AsyncIterable<CsvByteBatch | SourceRecord[]>): Promise<{ records: number; error?: string }> {
  let records = 0;
  try {
    for await (const batch of batches) records += batch instanceof CsvByteBatch ? batch.count - batch.first : batch.length;
    return { records };
  } catch (error) {
    return { records, error: (error as Error).message };
  }
}

const PIECE = 64 * 1024;

describe('CSV byte lane hand-over', () => {
  it('hands a record begun in an earlier piece to csv.ts as csv.ts read it: the same error when the record is long and badly quoted', async () => {
    // A record that starts 40 characters before the first piece of text ends and closes its quote, then breaks it,
    // near the end of the second piece: csv.ts meets the bad quote while scanning that piece. The lane hands the
    // record over; given from its start as one chunk, csv.ts cut it 64 Ki characters on, where it was still open and
    // already longer than source.max_record_chars, and named the length instead.
    const filler = Array.from({ length: (PIECE - 40 - 4) / 4 }, () => '1,x\n').join('');
    const opened = `a,b\n${filler}2,"`;
    const close = 2 * PIECE - 22;
    const text = `${opened}${'y'.repeat(close - opened.length)}"x\n3,z\n`;
    const bytes = Buffer.from(text);
    const options: CsvReadOptions = { fileName: 'long.csv', delimiter: ',', quote: '"', maxRecordChars: 100 };

    const serial = await outcome(readCsvRecords(once(bytes), options));
    const lane = await outcome(readCsvByteBatches(once(bytes), options));

    expect(serial.error).toMatch(/^long\.csv: line \d+: malformed CSV \(Invalid Closing Quote\)/);
    expect(lane).toEqual(serial);
  });

  it('hands a record that outgrows source.max_record_chars over to csv.ts with the same error', async () => {
    // The control: a long record with nothing else wrong is named as too long by both.
    const filler = Array.from({ length: (PIECE - 40 - 4) / 4 }, () => '1,x\n').join('');
    const text = `a,b\n${filler}2,"${'y'.repeat(2 * PIECE)}"\n3,z\n`;
    const bytes = Buffer.from(text);
    const options: CsvReadOptions = { fileName: 'long.csv', delimiter: ',', quote: '"', maxRecordChars: 100 };

    const serial = await outcome(readCsvRecords(once(bytes), options));
    const lane = await outcome(readCsvByteBatches(once(bytes), options));

    expect(serial.error).toMatch(/a record longer than 100 characters/);
    expect(lane).toEqual(serial);
  });
});
