import { jest } from '@jest/globals';
import fc from 'fast-check';
import type { DatasetContract } from '../../../src/pipeline/contract/contract.js';
import { FlatRecordReader } from '../../../src/pipeline/read/jsonl-flat-record.js';
import { readJsonLines } from '../../../src/pipeline/read/jsonl.js';
import type { SourceRecord } from '../../../src/pipeline/read/record-reader.js';
import { contractFrom } from '../../support/local.js';

const contract = (file = '') =>
  contractFrom(`
name: flat
source: { prefix: flat/, format: jsonl }
columns:
  - { name: order_id, type: bigint }
  - { name: customer_id, type: string }
  - { name: context, type: json }
  - { name: mag, source: props.mag, type: double }
  - { name: dotted, source: "a.b", type: string }
  - { name: spaced, source: "Raw Key", type: json }
  - { name: first, source: "list[0]", type: string }
  - { name: under_number, source: props.text, type: string }
partition_by: { column: ingest_date }
${file}
`);

async function* chunksOf(bytes: Uint8Array, cuts: number[]) {
  let at = 0;
  for (const cut of [...cuts.map((c) => Math.min(c, bytes.length))].sort((a, b) => a - b)) {
    if (cut > at) yield bytes.subarray(at, cut);
    at = Math.max(at, cut);
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

interface Reading {
  records: SourceRecord[];
  ignored: string[];
  error?: string;
}

/** The whole reading of a text: every record, the ignored fields, and the error that ended it, if any. */
async function reading(text: string, dataset: DatasetContract, exact: boolean, cuts: number[] = []): Promise<Reading> {
  const bytes = new TextEncoder().encode(text);
  const read = readJsonLines(chunksOf(bytes, cuts), dataset, { fileName: 'f.jsonl', batchSize: 3, maxRecordChars: 200, exact });
  const records: SourceRecord[] = [];
  try {
    for await (const batch of read.batches) records.push(...batch);
  } catch (error) {
    return { records, ignored: read.ignoredFields(), error: (error as Error).message };
  }
  return { records, ignored: read.ignoredFields() };
}

describe('the flat-record fast path of the JSON-lines reader', () => {
  it('reads a flat record straight into field texts: numbers as written, strings decoded, json columns as JSON', async () => {
    const text = '{"orderId":12345678901234567890,"customer_id":"C\\"01\\u00e9","context":"a\\/b","Raw Key":-1.50e+3,"a.b":true,"x":null}\n';
    const read = jest.spyOn(FlatRecordReader.prototype, 'read');
    try {
      const fast = await reading(text, contract(), false);
      expect(read.mock.results.map((r) => r.value !== undefined)).toEqual([true]);
      expect(fast.records).toEqual([{ line: 1, fields: ['12345678901234567890', 'C"01é', '"a/b"', '', 'true', '-1.50e+3', '', ''], text: text.trim() }]);
      expect(fast.ignored).toEqual(['x']);
      expect(fast).toEqual(await reading(text, contract(), true));
    } finally {
      read.mockRestore();
    }
  });

  it.each([
    ['a nested value', '{"order_id":1,"props":{"mag":2.5}}'],
    ['a duplicate key', '{"order_id":1,"order_id":1}'],
    ['an escaped key', '{"order\\u005fid":1}'],
    ['an array-index key', '{"order_id":1,"7":2}'],
    ['__proto__', '{"__proto__":1}'],
    ['a number JSON does not have', '{"order_id":01}'],
    ['an escape JSON does not have', '{"customer_id":"a\\x"}'],
    ['a tab inside a string', '{"customer_id":"a\tb"}'],
    ['a trailing comma', '{"order_id":1,}'],
    ['a truncated record', '{"order_id":1'],
  ])('leaves %s to the exact path, which reads it as before', async (_what, line) => {
    const read = jest.spyOn(FlatRecordReader.prototype, 'read');
    try {
      const fast = await reading(`${line}\n`, contract(), false);
      expect(read.mock.results.every((r) => r.value === undefined)).toBe(true);
      expect(fast).toEqual(await reading(`${line}\n`, contract(), true));
    } finally {
      read.mockRestore();
    }
  });

  it('leaves a field the contract rejects to the exact path, which names it', async () => {
    const text = '{"order_id":1}\n{"order_id":2,"colour":"red"}\n';
    const fast = await reading(text, contract('file: { extra_columns: reject }'), false);
    expect(fast.error).toMatch(/line 2: field "colour" is not declared/);
    expect(fast).toEqual(await reading(text, contract('file: { extra_columns: reject }'), true));
  });

  it('tries the flat path only now and then while records are nested, and again once one is flat', async () => {
    const nested = Array.from({ length: 100 }, (_, n) => `{"order_id":${n},"props":{"mag":${n}.5}}`);
    const flat = Array.from({ length: 600 }, (_, n) => `{"order_id":${100 + n},"customer_id":"c${n}"}`);
    const text = `${[...nested, ...flat].join('\n')}\n`;
    const read = jest.spyOn(FlatRecordReader.prototype, 'read');
    try {
      const fast = await reading(text, contract(), false);
      const tried = read.mock.results.map((r) => r.value !== undefined);
      expect(fast).toEqual(await reading(text, contract(), true));
      // 16 nested records tried, then one in 256: the flat records after the first one read flat are all read so.
      expect(tried.filter((taken) => !taken).length).toBeLessThan(20);
      expect(tried.filter((taken) => taken).length).toBeGreaterThan(600 - 256);
      expect(tried.slice(tried.indexOf(true)).every((taken) => taken)).toBe(true);
    } finally {
      read.mockRestore();
    }
  });

  it('reads a path under a number as no value, on either path', async () => {
    const text = '{"order_id":1,"props":5}\n{"order_id":2,"props":[5]}\n';
    const fast = await reading(text, contract(), false);
    expect(fast.records.map((r) => r.fields[7])).toEqual(['', '']);
    expect(fast).toEqual(await reading(text, contract(), true));
  });

  it('leaves records to the exact path once thousands of distinct keys have been met (keys that are data)', async () => {
    const lines = Array.from({ length: 4200 }, (_, n) => `{"order_id":${n},"k${n}":1${n === 4150 ? `,"k${n}":2` : ''}}`);
    const text = `${lines.join('\n')}\n`;
    const read = jest.spyOn(FlatRecordReader.prototype, 'read');
    try {
      const fast = await reading(text, contract(), false);
      const taken = read.mock.results.map((r) => r.value !== undefined);
      // (One record is cut by the end of a 64 KiB piece: the framing reads it.)
      expect(taken.slice(0, 4000).filter((t) => !t).length).toBeLessThanOrEqual(1);
      expect(taken.slice(4096).some((t) => t)).toBe(false);
      // The key written twice past the cap is found by the exact parser.
      expect(fast.records[4150]!.malformed).toMatch(/Duplicate key/);
      expect(fast).toEqual(await reading(text, contract(), true));
    } finally {
      read.mockRestore();
    }
  });

  it('never reads a file otherwise than the exact reading (property)', async () => {
    const key = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('order_id', 'orderId', 'OrderID', 'customer_id', 'customerId', 'context', 'props', 'a.b', 'a', 'Raw Key', 'list') },
      { weight: 2, arbitrary: fc.constantFrom('x', 'colour', 'é', 'x"y', '1', '01', '__proto__', 'order\\u005fid', '') },
      { weight: 1, arbitrary: fc.string({ maxLength: 3 }).map((s) => JSON.stringify(s).slice(1, -1)) },
    );
    const number = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc.constantFrom('1.0', '1.50', '-0', '1E5', '1e-7', '2.5e+300', '0', '01', '1.', '-', '.5', '+1', '1e', '1e+', '-01', '0x1', 'NaN'),
    );
    const string = fc.oneof(
      fc.string({ maxLength: 8, unit: 'binary' }).map((s) => JSON.stringify(s)),
      fc.string({ maxLength: 8, unit: 'grapheme' }).map((s) => `"${s.replace(/["\\\n]/g, '')}"`),
      fc.constantFrom('"a\\/b"', '"\\ud83d\\ude00"', '"\\ud800"', '"a\\x"', '"a\\u12"', '"tab\there"', '"cr\rhere"', '"open', '"a\\"', '"\\\\"'),
    );
    const value = fc.oneof(
      { weight: 4, arbitrary: number },
      { weight: 4, arbitrary: string },
      { weight: 2, arbitrary: fc.constantFrom('true', 'false', 'null', 'tru', 'nul', 'falsey', 'True') },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.constantFrom('{"mag":1.5}', '[1,2]', '["x"]', '{}', '[') },
    );
    const space = fc.constantFrom('', '', '', ' ', '\t', '\r', '  ');
    const entry = fc.tuple(key, space, space, value, space).map(([k, s1, s2, v, s3]) => `"${k}"${s1}:${s2}${v}${s3}`);
    const record = fc.oneof(
      { weight: 12, arbitrary: fc.tuple(space, fc.array(entry, { maxLength: 7 }), space).map(([s, entries, t]) => `{${s}${entries.join(',')}${t}}`) },
      { weight: 1, arbitrary: fc.constantFrom('{"order_id":1,}', '{"order_id":1', '42', '[1]', '{"order_id":1}}', '{,}', '{"a" 1}', ' ', '') },
    );
    const separator = fc.constantFrom('\n', '\n', '\r\n', '', ' \n');
    const file = fc.tuple(fc.array(fc.tuple(record, separator), { minLength: 1, maxLength: 8 }), fc.constantFrom('', '\n'));
    const cuts = fc.array(fc.nat(400), { maxLength: 3 });
    const reject = fc.boolean();

    let records = 0;
    let fastRecords = 0;
    const read = jest.spyOn(FlatRecordReader.prototype, 'read');
    try {
      await fc.assert(
        fc.asyncProperty(file, cuts, reject, async ([lines, end], at, rejecting) => {
          const text = lines.map(([r, s]) => r + s).join('') + end;
          const dataset = contract(rejecting ? 'file: { extra_columns: reject }' : '');
          read.mockClear();
          const fast = await reading(text, dataset, false, at);
          const taken = read.mock.results.filter((r) => r.value !== undefined).length;
          expect(fast).toEqual(await reading(text, dataset, true, at));
          records += fast.records.length;
          fastRecords += taken;
        }),
        { numRuns: 1500 },
      );
    } finally {
      read.mockRestore();
    }
    // The property says something only if the fast path reads a good share of the records: about 30% of these
    // generated ones take it (the rest are nested, malformed or odd on purpose); 20% leaves room for the seed (a CI
    // run drew 986 of 3,295, 29.9%, against a bound of 30%).
    expect(fastRecords).toBeGreaterThan(records * 0.2);
  });
});
