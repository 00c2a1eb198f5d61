import fc from 'fast-check';
import { readCsvRecords } from '../../../src/pipeline/read/csv.js';
import { frameJsonRecords } from '../../../src/pipeline/read/jsonl.js';
import { utf8Pieces } from '../../../src/pipeline/read/utf8-pieces.js';

/** The bytes handed on in chunks of these sizes (the last size repeats): a character may be cut anywhere. */
async function* chunked(bytes: Uint8Array, sizes: number[]) {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    yield bytes.slice(at, at + size);
    at += size;
  }
}

async function text(bytes: AsyncIterable<Uint8Array>): Promise<string> {
  let out = '';
  for await (const piece of utf8Pieces(bytes, 'f.txt')) out += piece.text;
  return out;
}

async function csvError(bytes: AsyncIterable<Uint8Array>, start?: { line: number; byte: number }): Promise<string> {
  try {
    for await (const _ of readCsvRecords(bytes, { fileName: 'orders.csv', delimiter: ',', quote: '"', ...(start && { start }) })) void _;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('no error');
}

async function jsonlError(bytes: AsyncIterable<Uint8Array>): Promise<string> {
  try {
    for await (const _ of frameJsonRecords(bytes, { fileName: 'events.jsonl' })) void _;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('no error');
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const join = (...parts: Array<string | readonly number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

// Four lines, multi-byte characters before the fault; a Latin-1 é (0xE9) on line 4.
const GOOD = 'id,name,note\n1,Zoë,€5\n2,"two\nlines",ok\n';
const LATIN1 = join(GOOD, '3,Caf', [0xe9], ',x\n');
const BAD_AT = Buffer.byteLength(GOOD) + 5;

describe('utf8Pieces: where bytes that are not UTF-8 are', () => {
  it('names the line and the exact byte of the first bad byte, in one chunk or cut in many', async () => {
    expect(LATIN1[BAD_AT]).toBe(0xe9);
    for (const sizes of [[LATIN1.length], [1], [7], [BAD_AT], [BAD_AT + 1], [3, 64]]) {
      expect(await csvError(chunked(LATIN1, sizes))).toBe(`orders.csv: not valid UTF-8 at line 5, byte ${BAD_AT}; save the file as UTF-8`);
    }
  });

  it('counts CRLF and CR line ends as the CSV reader does, and LF in JSON lines', async () => {
    const crlf = join('a\r\nb\r\r\nc', [0xff]);
    expect(await csvError(chunked(crlf, [4]))).toBe(`orders.csv: not valid UTF-8 at line 4, byte ${crlf.length - 1}; save the file as UTF-8`);
    const jsonl = join('{"a":"ü"}\n\n{"a":1}\n{"a":"', [0xc3, 0x28], '"}\n');
    expect(await jsonlError(chunked(jsonl, [5]))).toBe(`events.jsonl: not valid UTF-8 at line 4, byte ${jsonl.lastIndexOf(0xc3)}; save the file as UTF-8`);
  });

  it('points at the start of a character whose bytes break off, even when it began in an earlier chunk', async () => {
    // € is E2 82 AC: here E2 82 then a comma; cut so E2 82 end one chunk and the comma starts the next.
    const cut = join('x\ny', [0xe2, 0x82], ',z\n');
    const lead = cut.indexOf(0xe2);
    for (const sizes of [[lead + 1], [lead + 2], [1], [cut.length]]) {
      expect(await csvError(chunked(cut, sizes))).toBe(`orders.csv: not valid UTF-8 at line 2, byte ${lead}; save the file as UTF-8`);
    }
  });

  it('keeps a character cut across chunks valid: 1-byte chunks decode to the same text', async () => {
    const all = '\uFEFFid,ü\n€,𝄞 😀\n' + 'Zoë'.repeat(1000);
    for (const sizes of [[1], [2], [3], [5, 1], [65536]]) expect(await text(chunked(utf8(all), sizes))).toBe(all.slice(1));
  });

  it('names the byte of a character cut off by the end of the file', async () => {
    const truncated = join('id\nab', [0xf0, 0x9f, 0x98]);
    expect(await csvError(chunked(truncated, [1]))).toBe(
      'orders.csv: not valid UTF-8 at line 2, byte 5; the file ends inside a character (truncated?)',
    );
  });

  it('counts from the file start in a byte range, and names the line when the range knows where it starts', async () => {
    const range = join('9,a\n10,b', [0x80], '\n');
    expect(await csvError(chunked(range, [range.length]), { line: 40, byte: 1000 })).toBe(
      'orders.csv: not valid UTF-8 at line 41, byte 1008; save the file as UTF-8',
    );
  });

  it('names the byte only when no reader tells the line', async () => {
    await expect(text(chunked(join('ab\ncd', [0xff]), [2]))).rejects.toThrow('f.txt: not valid UTF-8 at byte 5; save the file as UTF-8');
  });

  it('finds the first bad byte wherever it is put in text of mixed widths, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', ',', '\n', 'é', '€', '😀'), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.constantFrom([0xff], [0x80], [0xc3, 0x41], [0xe2, 0x82, 0x41], [0xed, 0xa0, 0x80], [0xc0, 0xaf]),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        async (chars, where, bad, sizes) => {
          const at = where % (chars.length + 1);
          const before = chars.slice(0, at).join('');
          const bytes = join(before, bad, chars.slice(at).join(''));
          const line = before.split('\n').length;
          const message = await csvError(chunked(bytes, sizes));
          expect(message).toBe(`orders.csv: not valid UTF-8 at line ${line}, byte ${Buffer.byteLength(before)}; save the file as UTF-8`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
