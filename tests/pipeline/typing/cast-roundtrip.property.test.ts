import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, tempLake } from '../../support/local.js';

/**
 * Property tests of every cast, end to end: values are generated, written as CSV text in the spellings real files use,
 * converted by processObject into Parquet, and read back by DuckDB (`read_parquet`), an independent reader. What comes
 * back must equal what went in. Each run puts a whole batch of values in one file, so the suite stays fast.
 *
 * glueless reads an empty or blank field as null, so a string that trims to nothing comes back null (by contract).
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

const RUNS = { numRuns: 50 };
const BATCH = { minLength: 1, maxLength: 40 };

/** A CSV field as a careful writer quotes it: only when it must. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Writes `texts` as column `v` (beside an `id`) of a one-off file, converts it under a contract declaring `column`,
 * and returns DuckDB's reading of `v` through `select` (a SQL expression over v), in row order.
 */
async function roundTrip(column: string, texts: string[], select = 'v'): Promise<unknown[]> {
  const key = `prop/f${++fileNumber}.csv`;
  const csv = `id,v\n${texts.map((text, i) => `${i},${csvField(text)}`).join('\n')}\n`;
  await landRaw(local, key, csv);
  const contract = contractFrom(`
name: prop
source: { prefix: prop/ }
columns:
  - { name: id, type: int, required: true }
  - { name: v, ${column} }
partition_by: { column: ingest_date }
`);
  const manifest = await processObject(key, contract, local.lake);
  if (manifest.rowsQuarantined > 0 || manifest.outcome !== 'ok') {
    throw new Error(`not all rows written: ${JSON.stringify({ ...manifest, outputs: undefined })}`);
  }
  expect(manifest.rowsRead).toBe(manifest.rowsWritten + manifest.rowsQuarantined);
  expect(manifest.rowsWritten).toBe(texts.length);
  const files = manifest.outputs.map((o) => `'${local.lake.processed.locationOf(o.key).replace(/'/g, "''")}'`);
  const result = await duck.runAndReadAll(`SELECT ${select} FROM read_parquet([${files.join(', ')}]) ORDER BY id`);
  return result.getRowsJS().map((row) => row[0]);
}

/** Spellings a number may have in a file: as is, with a plus sign, leading zeros, or blanks around it. */
const spelled = (text: string, style: number) => {
  const unsigned = text.replace(/^-/, '');
  const sign = text.startsWith('-') ? '-' : '';
  switch (style) {
    case 1:
      return sign ? text : `+${text}`;
    case 2:
      return `${sign}00${unsigned}`;
    case 3:
      return ` ${text}\t`;
    default:
      return text;
  }
};
const style = fc.integer({ min: 0, max: 3 });

describe('cast round trip: CSV text → Parquet → DuckDB equals the input', () => {
  it('int', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer(), style), BATCH), async (values) => {
        const back = await roundTrip('type: int', values.map(([n, s]) => spelled(String(n), s)));
        expect(back).toEqual(values.map(([n]) => n));
      }),
      RUNS,
    );
  });

  it('bigint', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), style), BATCH), async (values) => {
        const back = await roundTrip('type: bigint', values.map(([n, s]) => spelled(String(n), s)));
        expect(back).toEqual(values.map(([n]) => n));
      }),
      RUNS,
    );
  });

  it('double, in plain and exponent notation', async () => {
    const text = fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()).map(([x, exponent]) => (exponent ? x.toExponential() : String(x)));
    await fc.assert(
      fc.asyncProperty(fc.array(text, BATCH), async (texts) => {
        const back = await roundTrip('type: double', texts);
        expect(back).toEqual(texts.map(Number));
      }),
      RUNS,
    );
  });

  it('decimal(p,s), p up to 38, exact', async () => {
    const batch = fc
      .integer({ min: 1, max: 38 })
      .chain((precision) => fc.tuple(fc.constant(precision), fc.integer({ min: 0, max: precision })))
      .chain(([precision, scale]) => {
        const max = 10n ** BigInt(precision) - 1n;
        const unscaled = fc.oneof(fc.bigInt({ min: -max, max }), fc.constantFrom(max, -max, 0n, 1n, -1n));
        return fc.tuple(fc.constant(precision), fc.constant(scale), fc.array(fc.tuple(unscaled, fc.boolean()), BATCH));
      });
    await fc.assert(
      fc.asyncProperty(batch, async ([precision, scale, values]) => {
        const texts = values.map(([u, trimZeros]) => {
          const text = decimalText(u, scale);
          return trimZeros && scale > 0 ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
        });
        const back = await roundTrip(`type: "decimal(${precision},${scale})"`, texts, 'v::VARCHAR');
        // DuckDB prints decimal(p,p) without the leading zero (.5); the value is the same.
        expect(back.map((text) => String(text).replace(/^(-?)\./, '$10.'))).toEqual(values.map(([u]) => decimalText(u, scale)));
      }),
      RUNS,
    );
  });

  it('decimal: values that do not fit a double are kept to the last digit', async () => {
    const values = ['12345678901234.56', '-12345678901234.56', '99999999999999999999999999999999999.99', '0.01', '-0.01', '0'];
    expect(await roundTrip('type: "decimal(38,2)"', values, 'v::VARCHAR')).toEqual([
      '12345678901234.56',
      '-12345678901234.56',
      '99999999999999999999999999999999999.99',
      '0.01',
      '-0.01',
      '0.00',
    ]);
    expect(await roundTrip('type: "decimal(16,2)"', ['12345678901234.56'], 'v::VARCHAR')).toEqual(['12345678901234.56']);
  });

  it('boolean, in every default spelling and case', async () => {
    const spellings = { true: ['true', 't', 'yes', 'y', '1'], false: ['false', 'f', 'no', 'n', '0'] };
    const token = fc
      .tuple(fc.boolean(), fc.nat(4), fc.constantFrom<'lower' | 'upper' | 'title'>('lower', 'upper', 'title'), fc.boolean())
      .map(([value, pick, letterCase, padded]) => {
        const word = spellings[String(value) as 'true' | 'false'][pick]!;
        const cased = letterCase === 'upper' ? word.toUpperCase() : letterCase === 'title' ? word[0]!.toUpperCase() + word.slice(1) : word;
        return { value, text: padded ? ` ${cased} ` : cased };
      });
    await fc.assert(
      fc.asyncProperty(fc.array(token, BATCH), async (tokens) => {
        const back = await roundTrip('type: boolean', tokens.map((t) => t.text));
        expect(back).toEqual(tokens.map((t) => t.value));
      }),
      RUNS,
    );
  });

  it('date, in ISO and in the patterns real exports use', async () => {
    const formats = ['iso', 'MMM d yyyy', 'd MMM yyyy', 'MMM d, yyyy', 'dd.MM.yyyy', 'd.M.yyyy', 'M/d/yyyy', 'MM/dd/yyyy', 'yyyy/MM/dd'];
    const day = fc.integer({ min: daysOf('0001-01-01'), max: daysOf('9999-12-31') });
    const batch = fc.tuple(fc.constantFrom(...formats), fc.array(day, BATCH));
    await fc.assert(
      fc.asyncProperty(batch, async ([format, days]) => {
        const texts = days.map((d) => formatDate(new Date(d * 86_400_000), format === 'iso' ? 'yyyy-MM-dd' : format));
        const back = await roundTrip(`type: date, format: "${format}"`, texts, 'v::VARCHAR');
        expect(back).toEqual(days.map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10)));
      }),
      RUNS,
    );
  });

  it('timestamp: ISO with Z, with an offset, or naive (UTC); and a pattern', async () => {
    const instant = fc.integer({ min: Date.UTC(1000, 0, 2), max: Date.UTC(9999, 11, 30) });
    const offset = fc.integer({ min: -14 * 4, max: 14 * 4 }).map((quarters) => quarters * 15);
    const spelling = fc.tuple(instant, offset, fc.constantFrom('Z', 'offset', 'naive'), fc.boolean());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('iso', 'dd.MM.yyyy HH:mm:ss'), fc.array(spelling, BATCH), async (format, values) => {
        const rows = values.map(([millis, offsetMinutes, kind, space]) => {
          if (format !== 'iso') {
            const whole = Math.floor(millis / 1000) * 1000;
            return { millis: whole, text: formatDate(new Date(whole), 'dd.MM.yyyy HH:mm:ss') };
          }
          const iso = new Date(millis).toISOString().replace('T', space ? ' ' : 'T');
          if (kind === 'Z') return { millis, text: iso };
          if (kind === 'naive') return { millis, text: iso.slice(0, -1) };
          const wall = new Date(millis + offsetMinutes * 60_000).toISOString().slice(0, -1).replace('T', space ? ' ' : 'T');
          const sign = offsetMinutes < 0 ? '-' : '+';
          const hhmm = `${String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
          return { millis, text: `${wall}${sign}${hhmm}` };
        });
        const back = await roundTrip(`type: timestamp, format: "${format}"`, rows.map((r) => r.text), 'epoch_ms(v)');
        expect(back.map(Number)).toEqual(rows.map((r) => r.millis));
      }),
      RUNS,
    );
  });

  it('string: any Unicode, quotes, delimiters, line breaks, NUL', async () => {
    const special = fc.constantFrom('"', '""', ',', ';', '\t', '\n', '\r', '\r\n', ' ', '\u0000', 'é', 'ß', '😀', '\u200b', '\uFEFF', 'NA', 'NULL');
    const text = fc.array(fc.oneof(special, fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 8 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(text, BATCH), async (texts) => {
        // Compared as UTF-8 bytes: JavaScript readers (DuckDB's node binding, hyparquet) decode with a TextDecoder
        // that drops a leading U+FEFF, though the Parquet holds it.
        const back = await roundTrip('type: string', texts, 'hex(v)');
        expect(back).toEqual(texts.map((t) => (t.trim() === '' ? null : Buffer.from(t).toString('hex').toUpperCase())));
      }),
      RUNS,
    );
  });
});

function daysOf(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A UTC instant spelled in a pattern (the subset of letters the tests use), independently of the code under test. */
function formatDate(date: Date, pattern: string): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const parts: Record<string, string> = {
    yyyy: pad(date.getUTCFullYear(), 4),
    MMM: MONTH_NAMES[date.getUTCMonth()]!,
    MM: pad(date.getUTCMonth() + 1),
    M: String(date.getUTCMonth() + 1),
    dd: pad(date.getUTCDate()),
    d: String(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
  };
  return pattern.replace(/yyyy|MMM|MM|M|dd|d|HH|mm|ss/g, (token) => parts[token]!);
}

/** An unscaled decimal as text with exactly `scale` fractional digits, as DuckDB prints it. */
function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const sign = unscaled < 0n ? '-' : '';
  return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
