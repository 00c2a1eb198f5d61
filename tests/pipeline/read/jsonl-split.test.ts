import fc from 'fast-check';
import { findJsonLinesCuts, JsonLinesSplitFinder } from '../../../src/pipeline/read/jsonl-split.js';
import { frameJsonRecords, type FramedRecord } from '../../../src/pipeline/read/jsonl.js';
import { inChunks, once } from '../../support/byte-chunks.js';

async function framed(bytes: Uint8Array, start?: { line: number; byte: number }): Promise<FramedRecord[]> {
  const out: FramedRecord[] = [];
  for await (const batch of frameJsonRecords(once(bytes), { fileName: 'f.jsonl', ...(start && { start }) })) out.push(...batch);
  return out;
}

/** What a serial read or the ranges' reads say: the records, or the error that stops the file. */
async function readOrError(read: () => Promise<FramedRecord[]>): Promise<FramedRecord[] | string> {
  try {
    return await read();
  } catch (error) {
    return (error as Error).message;
  }
}

/** Lines that stress the framing at a cut: objects, concatenated objects, truncated and bare records, CR, BOM, blanks. */
const line = fc.oneof(
  fc.constantFrom('{"a":1}', '{"a":"x\\ny"}', '{"a":"é\\"}"}', '{"a":[1,{"b":2}]}', '{"a":1}{"a":2}', '{"a":', '"bare"', '[1]', '{"a":"\r"}'),
  fc.constantFrom('', ' ', '\t', '\r', '\ufeff{"a":3}', '{"a":"\u2028"}', '  {"a":4}  '),
);
const file = fc
  .tuple(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\n\n')), { minLength: 1, maxLength: 30 }), fc.boolean(), fc.boolean())
  .map(([lines, bom, lastEnd]) => {
    const text = lines.map(([l, end], i) => l + (i < lines.length - 1 || lastEnd ? end : '')).join('');
    return Buffer.from((bom ? '\ufeff' : '') + text, 'utf8');
  })
  .filter((bytes) => bytes.length > 0);

describe('JSON-lines cuts (after a line feed)', () => {
  it('cuts only where the framing starts a record: the ranges framed on their own give the whole file’s records and lines', async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 2, max: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), async (bytes, parts, chunkSizes) => {
        const split = await findJsonLinesCuts(inChunks(bytes, chunkSizes), { size: bytes.length, parts });
        // Read to the end, or to the last cut (the rest is the last range's).
        if (split.partial) expect(split.size).toBeLessThanOrEqual(bytes.length);
        else expect(split.size).toBe(bytes.length);
        const starts = [{ byte: 0, line: 1 }, ...split.cuts];
        const pieces: FramedRecord[] = [];
        for (let k = 0; k < starts.length; k++) {
          const end = starts[k + 1]?.byte ?? bytes.length;
          expect(end).toBeGreaterThan(starts[k]!.byte);
          expect(bytes[starts[k]!.byte - 1] ?? 10).toBe(10);
          pieces.push(...(await framed(bytes.subarray(starts[k]!.byte, end), k === 0 ? undefined : starts[k])));
        }
        expect(pieces).toEqual(await framed(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('cuts just after the first line feed at or after each target, one cut per target, and counts lines by line feeds', () => {
    const text = Buffer.from('{"a":1}\r\n\n{"a":2}\n{"a":3}');
    const finder = new JsonLinesSplitFinder([3, 9, 10, 11, 20]);
    finder.push(text.subarray(0, 5));
    finder.push(text.subarray(5));
    // LFs at bytes 8, 9 and 17: target 3 cuts at 9 (line 2), 10 (line 3, covering target 10), 11 → 18 (line 4); 20 none.
    expect(finder.finish().cuts).toEqual([
      { byte: 9, line: 2 },
      { byte: 10, line: 3 },
      { byte: 18, line: 4 },
    ]);
  });

  it('does not cut a file without line feeds (objects concatenated) nor at its end', async () => {
    const joined = Buffer.from('{"a":1}{"a":2}{"a":3}{"a":4}');
    expect((await findJsonLinesCuts(once(joined), { size: joined.length, parts: 4 })).cuts).toEqual([]);
    const oneLine = Buffer.from('{"a":1}{"a":2}{"a":3}{"a":4}\n');
    expect((await findJsonLinesCuts(once(oneLine), { size: oneLine.length, parts: 4 })).cuts).toEqual([]);
  });

  it('names a bad byte in a later range by the line and byte the serial read names', async () => {
    const good = Array.from({ length: 200 }, (_, i) => `{"a":${i},"b":"ü"}`).join('\n') + '\n';
    const bytes = Buffer.concat([Buffer.from(good), Buffer.from('{"a":"x'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"a":1}\n')]);
    const serial = await readOrError(() => framed(bytes));
    expect(serial).toMatch(/line 201, byte \d+/);
    for (const parts of [2, 3, 7]) {
      const { cuts } = await findJsonLinesCuts(inChunks(bytes, [100]), { size: bytes.length, parts });
      const last = cuts[cuts.length - 1]!;
      expect(await readOrError(() => framed(bytes.subarray(last.byte), last))).toBe(serial);
    }
  });
});
