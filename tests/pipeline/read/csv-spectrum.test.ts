import { parquetReadObjects } from 'hyparquet';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { toSnakeCase } from '../../../src/pipeline/contract/names.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { contractFrom, landRaw, tempLake } from '../../support/local.js';

/**
 * Every case of the csv-spectrum suite (npm `csv-spectrum`: CSV files with the JSON a correct parser yields) through
 * the whole pipeline: an all-string, all-nullable contract built from the case's header, processObject, and the rows
 * read back from the Parquet must equal the case's JSON.
 *
 * Deliberate differences, made explicit below rather than hidden:
 * - glueless reads an empty field as null (quoted or not; it is the contract's rule for every type), so an expected
 *   "" is null;
 * - csv-spectrum's own location_coordinates.json disagrees with its CSV on the phone number (1234567890 in the JSON,
 *   2095257564 in the CSV, upstream since 2014); the CSV is the input, so its value is expected;
 * - location_coordinates has a quote inside an unquoted field (`37°36'37.8"N`); glueless keeps it as a character,
 *   as csv-spectrum (and DuckDB, and Python's csv) expect, so the case is held to its JSON like the others.
 */

interface SpectrumCase {
  name: string;
  csv: Buffer;
  json: Buffer;
}

const require = createRequire(import.meta.url);
const spectrumDir = path.dirname(require.resolve('csv-spectrum'));
const names = readdirSync(path.join(spectrumDir, 'csvs')).map((f) => path.basename(f, '.csv'));
const loadSpectrum = require('csv-spectrum') as (callback: (error: Error | null, cases: SpectrumCase[]) => void) => void;

const UPSTREAM_ERRATA: Record<string, (row: Record<string, string>) => void> = {
  location_coordinates: (row) => (row['Contact Phone Number'] = '2095257564'),
};

/** Cases the reader refuses as a whole on purpose, with the reason it must give. */
const REFUSED_BY_DESIGN: Record<string, RegExp> = {};

let cases: Map<string, SpectrumCase>;
beforeAll(async () => {
  cases = await new Promise((resolve, reject) =>
    loadSpectrum((error, items) => (error ? reject(error) : resolve(new Map(items.map((c) => [c.name, c]))))),
  );
});

/** The contract a user would write for the case: every header a nullable string column, partitioned by ingest date. */
function stringContract(header: string[]) {
  const columns = header.map((h) => `  - { name: ${toSnakeCase(h)}, source: ${JSON.stringify(h)}, type: string }`);
  return contractFrom(['name: spectrum', 'source: { prefix: spectrum/ }', 'columns:', ...columns, 'partition_by: { column: ingest_date }'].join('\n'));
}

describe('csv-spectrum through processObject', () => {
  it('has the cases this test was written against', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
    expect(names).toEqual(expect.arrayContaining(['comma_in_quotes', 'escaped_quotes', 'newlines_crlf', 'quotes_and_newlines', 'utf8', 'location_coordinates']));
  });

  it.each(names)('%s: the rows read back equal the JSON, nothing lost', async (name) => {
    const spectrumCase = cases.get(name)!;
    const parsed = JSON.parse(spectrumCase.json.toString('utf8')) as Record<string, string> | Array<Record<string, string>>;
    const expectedRows = Array.isArray(parsed) ? parsed : [parsed];
    expectedRows.forEach((row) => UPSTREAM_ERRATA[name]?.(row));
    const header = Object.keys(expectedRows[0]!);

    const local = await tempLake();
    try {
      await landRaw(local, `spectrum/${name}.csv`, spectrumCase.csv);
      const manifest = await processObject(`spectrum/${name}.csv`, stringContract(header), local.lake);
      expect(manifest.rowsRead).toBe(manifest.rowsWritten + manifest.rowsQuarantined);
      if (REFUSED_BY_DESIGN[name]) {
        expect(manifest).toMatchObject({ outcome: 'rejected', rowsWritten: 0, outputs: [] });
        expect(manifest.rejectReason).toMatch(REFUSED_BY_DESIGN[name]!);
        expect(manifest.rejectReason).not.toContain('\n');
        return;
      }
      expect(manifest.rejectReason).toBeUndefined();
      expect(manifest).toMatchObject({ outcome: 'ok', rowsRead: expectedRows.length, rowsWritten: expectedRows.length, rowsQuarantined: 0 });
      expect(manifest.outputs).toHaveLength(1);

      const bytes = await readFile(local.lake.processed.locationOf(manifest.outputs[0]!.key));
      const back = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
      const expected = expectedRows.map((row) => Object.fromEntries(header.map((h) => [toSnakeCase(h), row[h] === '' ? null : row[h]])));
      expect(back.map((row) => Object.fromEntries(header.map((h) => [toSnakeCase(h), row[toSnakeCase(h)] ?? null])))).toEqual(expected);
    } finally {
      await local.cleanup();
    }
  });
});
