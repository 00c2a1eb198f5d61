import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, tempLake } from '../../support/local.js';

/**
 * Property: records written as JSON text — nested, strings with \u escapes and surrogate pairs, integers across the
 * whole int64 range, decimals of 38 digits — converted into Parquet and read back by DuckDB equal the values written.
 */
type Local = Awaited<ReturnType<typeof tempLake>>;
let local: Local;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
let fileNumber = 0;

beforeAll(async () => {
  local = await tempLake();
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
});
afterAll(async () => {
  duck.closeSync();
  instance.closeSync();
  await local.cleanup();
});

const CONTRACT = contractFrom(`
name: prop
source: { prefix: prop/, format: jsonl }
columns:
  - { name: id, type: int, required: true }
  - { name: big, source: "payload.numbers[0]", type: bigint }
  - { name: amount, source: payload.amount, type: "decimal(38,6)" }
  - { name: text, type: string }
  - { name: nested, type: json }
partition_by: { column: ingest_date }
`);

/** A JSON string literal, each character written raw or as \\u escapes (a pair of them past the BMP), as `escape` says. */
function jsonString(text: string, escape: boolean[]): string {
  let out = '"';
  let i = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (escape[i++ % escape.length] || code < 0x20 || char === '"' || char === '\\') {
      for (let u = 0; u < char.length; u++) out += `\\u${char.charCodeAt(u).toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const DECIMAL = fc.tuple(fc.bigInt({ min: -(10n ** 32n) + 1n, max: 10n ** 32n - 1n }), fc.nat(999_999)).map(([whole, fraction]) => {
  const sign = whole < 0n ? '-' : '';
  return `${sign}${whole < 0n ? -whole : whole}.${String(fraction).padStart(6, '0')}`;
});
const TEXT = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((t) => t.trim() !== '');
const RECORD = fc.record({
  big: INT64,
  amount: DECIMAL,
  text: TEXT,
  escape: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  nested: fc.jsonValue({ maxDepth: 4 }),
});

it('records written as JSON text read back from the lake equal the values', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(RECORD, { minLength: 1, maxLength: 30 }), async (records) => {
      const lines = records.map(
        (r, id) =>
          `{"id":${id},"payload":{"numbers":[${r.big},1],"amount":${r.amount}},"text":${jsonString(r.text, r.escape)},"nested":${JSON.stringify(r.nested)}}`,
      );
      const key = `prop/f${++fileNumber}.jsonl`;
      await landRaw(local, key, lines.join(fileNumber % 2 ? '\n' : ''));
      const manifest = await processObject(key, CONTRACT, local.lake);
      if (manifest.rowsWritten !== records.length) throw new Error(JSON.stringify({ ...manifest, outputs: undefined }));
      const files = manifest.outputs.map((o) => `'${local.lake.processed.locationOf(o.key).replace(/'/g, "''")}'`);
      const rows = (await duck.runAndReadAll(`SELECT big, amount::VARCHAR, text, nested FROM read_parquet([${files.join(', ')}]) ORDER BY id`)).getRowsJS();
      rows.forEach(([big, amount, text, nested], index) => {
        const record = records[index]!;
        expect(big).toBe(record.big);
        expect(amount).toBe(record.amount.replace(/^-(0\.0+)$/, '$1'));
        expect(text).toBe(record.text);
        expect(record.nested === null ? nested : JSON.parse(nested as string)).toEqual(record.nested === null ? null : JSON.parse(JSON.stringify(record.nested)));
      });
    }),
    { numRuns: 40 },
  );
});
