import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { processObject } from '../../../src/pipeline/run/run.js';
import type { ObjectStore } from '../../../src/pipeline/contract/ports.js';
import type { RunManifest } from '../../../src/pipeline/contract/run-manifest.js';
import { contractFrom, landRaw, tempLake, withoutLineage } from '../../support/local.js';

/**
 * Property: the CSV byte lane (read/csv-bytes.ts, typed-row.ts `typeBytes`) makes the lake the string path makes. Over
 * random files — every column type with its edge cases (empty, null tokens with and without spaces, signs, leading
 * zeros, numbers too long or too precise, impossible dates), quoted fields with doubled quotes, delimiters and line
 * breaks inside, LF, CRLF and CR line ends, empty lines, a BOM, multibyte UTF-8, bytes that are not UTF-8, quotes left
 * open or followed by text, ragged rows, duplicate keys — read in random chunk sizes, the two runs give the same
 * manifest, the same quarantine file to the byte, and the same rows in every Parquet file.
 */
type Local = Awaited<ReturnType<typeof tempLake>>;
let withLane: Local;
let withoutLane: Local;
let fileNumber = 0;

beforeAll(async () => {
  [withLane, withoutLane] = await Promise.all([tempLake(), tempLake()]);
});
afterAll(async () => {
  await Promise.all([withLane.cleanup(), withoutLane.cleanup()]);
});

const CONTRACT = contractFrom(`
name: lane
source: { prefix: lane/, format: csv, null_values: ["NULL", "N/A", " - "] }
columns:
  - { name: id, type: bigint, required: true }
  - { name: customer, type: string, required: true }
  - { name: product, type: string, null_values: ["none"] }
  - { name: quantity, type: int, required: true }
  - { name: price, type: "decimal(10,2)" }
  - { name: day, type: date, required: true }
  - { name: notes, type: string }
  - { name: grade, type: int, min: 1, max: 5 }
  - { name: code, type: string, trim: true, accepted_values: [A, B, C] }
  - { name: ratio, type: double }
  - { name: tag, type: string, trim: true }
primary_key: [id]
derived:
  - { name: total, type: "decimal(18,2)", expr: quantity * price }
partition_by: { column: day, layout: date }
file: { max_error_ratio: 1 }
`);
const HEADER = ['id', 'customer', 'product', 'quantity', 'price', 'day', 'notes', 'grade', 'code', 'ratio', 'tag'];

const NULLS = fc.constantFrom('', 'NULL', 'N/A', ' - ', ' NULL', 'NULL ', 'null', 'none', '\u00a0NULL');
const TEXT = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', 'é', '€', '𝄞', '\u00a0', '\t', 'x'), maxLength: 8 });
const STRING = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('C001', 'C002', 'Laptop Stand', 'Poster "Sunset"', 'Café', 'a,b', 'x') },
  { weight: 3, arbitrary: TEXT },
  { weight: 1, arbitrary: NULLS },
);
const INTEGER = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3000, max: 3000 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('+7', '-0', '007', ' 5', '5 ', '2147483647', '2147483648', '-2147483648', '1e3', '1.0', '١٢', '12a', '-', '+'),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String) },
  { weight: 1, arbitrary: NULLS },
);
const DECIMAL = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.nat(99)).map(([w, f]) => `${w}.${String(f).padStart(2, '0')}`) },
  { weight: 2, arbitrary: fc.constantFrom('.5', '5.', '0.10', '1.230', '1.234', '-0.00', '+3.1', ' 2.5', '12345678.99', '123456789.99', '1e2', '.', '') },
  { weight: 1, arbitrary: NULLS },
);
const DATE = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('2024-03-01', '2024-03-02', '2024-02-29', '2024-12-31') },
  { weight: 2, arbitrary: fc.constantFrom('2023-02-29', '2024-13-01', '2024-1-01', ' 2024-03-01', '2024/03/01', '0000-01-01', '9999-12-31', '2024-03-01T00:00') },
  { weight: 1, arbitrary: NULLS },
);
const DOUBLE = fc.oneof(fc.double({ noNaN: true }).map(String), fc.constantFrom('1e3', 'x', ''));
const CODE = fc.constantFrom('A', ' B ', 'C', 'D', '', 'a');

const ROW = fc.record({
  id: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 400 }).map(String) }, { weight: 1, arbitrary: INTEGER }),
  customer: STRING,
  product: STRING,
  quantity: INTEGER,
  price: DECIMAL,
  day: DATE,
  notes: STRING,
  grade: INTEGER,
  code: CODE,
  ratio: DOUBLE,
  tag: STRING,
});

/** How a field is written: plain when it can be, quoted when it must be or when the coin says. */
const FIELD_STYLE = fc.constantFrom('plain', 'plain', 'plain', 'quoted');

interface Dialect {
  delimiter: string;
  quote: string;
}

function field(value: string, style: string, { delimiter, quote }: Dialect): string {
  const mustQuote = value.includes(delimiter) || value.includes(quote) || /[\r\n]/.test(value);
  if (style === 'quoted' || mustQuote) return `${quote}${value.split(quote).join(quote + quote)}${quote}`;
  return value;
}

const FILE = fc.record({
  rows: fc.array(
    fc.record({
      row: ROW,
      styles: fc.array(FIELD_STYLE, { minLength: 11, maxLength: 11 }),
      ragged: fc.constantFrom(0, 0, 0, 0, 0, 0, -1, 1),
      end: fc.constantFrom('\n', '\n', '\r\n', '\r', '\n\n'),
    }),
    { minLength: 0, maxLength: 40 },
  ),
  bom: fc.boolean(),
  lastEnd: fc.boolean(),
  /** One damage to the file's bytes, at a random place (or none). */
  damage: fc.oneof(
    { weight: 2, arbitrary: fc.constant('none') },
    { weight: 1, arbitrary: fc.constantFrom('not-utf8', 'open-quote', 'text-after-quote', 'truncated-character') },
  ),
  at: fc.nat(),
  chunks: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
  /** The rows written this many times over (keys repeat: duplicates), for files of many batches and pieces. */
  times: fc.constant<number>(1),
});

/** Files of thousands of rows read in chunks past a piece of text (64 Ki units): batches and pieces are cut inside. */
const LONG_FILE = FILE.filter((file) => file.rows.length >= 5).chain((file) =>
  fc
    .record({
      times: fc.integer({ min: 50, max: 400 }),
      chunks: fc.array(fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 60_000, max: 300_000 })), { minLength: 1, maxLength: 4 }),
    })
    .map((long) => ({ ...file, ...long })),
);

type CsvFile = typeof FILE extends fc.Arbitrary<infer T> ? T : never;

function fileBytes(file: CsvFile, dialect: Dialect): Buffer {
  const { delimiter, quote } = dialect;
  let text = `${HEADER.join(delimiter)}\n`;
  const rows = Array.from({ length: file.times }, () => file.rows).flat();
  rows.forEach(({ row, styles, ragged, end }, index) => {
    const values = HEADER.map((name) => row[name as keyof typeof row]);
    if (ragged < 0) values.pop();
    if (ragged > 0) values.push('extra');
    text += values.map((v, i) => field(v, styles[i % styles.length]!, dialect)).join(delimiter);
    if (index < rows.length - 1 || file.lastEnd) text += end;
  });
  let bytes = Buffer.from(text, 'utf8');
  const at = bytes.length === 0 ? 0 : file.at % bytes.length;
  if (file.damage === 'not-utf8') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]);
  if (file.damage === 'open-quote') bytes = Buffer.concat([bytes, Buffer.from(`${delimiter}${quote}never closed`)]);
  if (file.damage === 'text-after-quote') {
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(`\n1${delimiter}${quote}q${quote}x${delimiter}a\n`), bytes.subarray(at)]);
  }
  if (file.damage === 'truncated-character') bytes = Buffer.concat([bytes, Buffer.from('€').subarray(0, 2)]);
  return file.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
}

/** The raw zone handing out its objects in chunks of the given sizes (in turn), as a network stream would. */
function inChunks(store: ObjectStore, sizes: number[]): ObjectStore {
  const chunked: ObjectStore = Object.create(store) as ObjectStore;
  chunked.read = async (key) => {
    const parts: Uint8Array[] = [];
    for await (const part of await store.read(key)) parts.push(part);
    const whole = Buffer.concat(parts);
    return (async function* () {
      for (let at = 0, n = 0; at < whole.length; n++) {
        const size = sizes[n % sizes.length]!;
        yield whole.subarray(at, at + size);
        at += size;
      }
    })();
  };
  return chunked;
}

/** What a run left in its lake: the manifest (times aside), the quarantine file's bytes, each Parquet file's rows. */
async function lakeOf(local: Local, manifest: RunManifest) {
  const { startedAt, durationMs, ...rest } = manifest;
  const read = async (store: ObjectStore, key: string) => {
    const parts: Uint8Array[] = [];
    for await (const part of await store.read(key)) parts.push(part);
    return Buffer.concat(parts);
  };
  const quarantine = manifest.quarantineFile ? (await read(local.lake.quarantine, manifest.quarantineFile)).toString('latin1') : undefined;
  const files = [];
  for (const output of manifest.outputs) {
    const bytes = await read(local.lake.processed, output.key);
    files.push(withoutLineage(await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })));
  }
  return { manifest: rest, quarantine, files };
}

const COMMA: Dialect = { delimiter: ',', quote: '"' };

/**
 * The same files read by another contract: a string primary key, a derived column over a string column, a wide
 * decimal, a semicolon delimiter and a single quote.
 */
const OTHER_CONTRACT = contractFrom(`
name: lane
source: { prefix: lane/, format: csv, delimiter: ";", quote: "'" }
columns:
  - { name: customer, type: string, required: true }
  - { name: product, type: string }
  - { name: price, type: "decimal(38,4)" }
  - { name: day, type: date, required: true }
  - { name: notes, type: string, null_values: [" "] }
  - { name: quantity, type: bigint }
primary_key: [customer]
derived:
  - { name: loud, type: string, expr: upper(product) }
partition_by: { column: day, layout: date }
file: { max_error_ratio: 1 }
`);
const SEMICOLON: Dialect = { delimiter: ';', quote: "'" };

async function sameLake(file: CsvFile, contract = CONTRACT, dialect = COMMA): Promise<void> {
  const bytes = fileBytes(file, dialect);
  const key = `lane/f${++fileNumber}.csv`;
  const lakes = [];
  for (const [local, byteLane] of [
    [withLane, true],
    [withoutLane, false],
  ] as const) {
    await landRaw(local, key, bytes);
    const lake = { ...local.lake, raw: inChunks(local.lake.raw, file.chunks) };
    lakes.push(await lakeOf(local, await processObject(key, contract, lake, { byteLane })));
  }
  expect(lakes[0]).toEqual(lakes[1]);
}

it('the byte lane and the string path make the same lake', async () => {
  await fc.assert(fc.asyncProperty(FILE, (file) => sameLake(file)), { numRuns: 200, endOnFailure: true });
});

it('the byte lane and the string path make the same lake with string keys, a string derived column, ";" and "\'"', async () => {
  await fc.assert(fc.asyncProperty(FILE, (file) => sameLake(file, OTHER_CONTRACT, SEMICOLON)), { numRuns: 100, endOnFailure: true });
});

it('the byte lane and the string path make the same lake of a long file read in long chunks', async () => {
  await fc.assert(fc.asyncProperty(LONG_FILE, (file) => sameLake(file)), { numRuns: 25, endOnFailure: true });
}, 120_000);

it('plain, quoted and CRLF records read through the lane give the rows they hold', async () => {
  // The plain, the quoted and the CRLF forms of the same rows: the same rows in the lake, whichever way they came.
  const rows = ['1,C1,Lamp,2,9.25,2024-03-01,fragile', '2,C2,"Poster ""Sunset""",1,19.50,2024-03-01,', '3,C1,"a,b",3,1.00,2024-03-02,"x\ny"'];
  const results = [];
  for (const end of ['\n', '\r\n']) {
    const key = `lane/plain${end.length}.csv`;
    await landRaw(withLane, key, `${HEADER.slice(0, 7).join(',')}${end}${rows.join(end)}${end}`);
    const contract = contractFrom(`
name: lane
source: { prefix: lane/, format: csv }
columns:
  - { name: id, type: bigint, required: true }
  - { name: customer, type: string }
  - { name: product, type: string }
  - { name: quantity, type: int }
  - { name: price, type: "decimal(10,2)" }
  - { name: day, type: date, required: true }
  - { name: notes, type: string }
partition_by: { column: day, layout: date }
`);
    const manifest = await processObject(key, contract, withLane.lake, { byteLane: true });
    expect(manifest.rowsWritten).toBe(3);
    results.push((await lakeOf(withLane, manifest)).files);
  }
  expect(results[0]).toEqual(results[1]);
  expect(results[0]![0]).toEqual([
    { id: 1n, customer: 'C1', product: 'Lamp', quantity: 2, price: 9.25, notes: 'fragile' },
    { id: 2n, customer: 'C2', product: 'Poster "Sunset"', quantity: 1, price: 19.5, notes: null },
  ]);
  expect(results[0]![1]).toEqual([{ id: 3n, customer: 'C1', product: 'a,b', quantity: 3, price: 1, notes: 'x\ny' }]);
});
