import fc from 'fast-check';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inferContract } from '../../src/cli/commands/infer.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import { processObject } from '../../src/pipeline/run/run.js';
import { landRaw, tempLake } from '../support/local.js';

/**
 * Inference and ingest never disagree: for generated files of typed columns in the spellings exports use (dates in
 * several patterns, Y/N, decimals, exponents, NA and empty for missing, text with quotes, commas and line breaks),
 * the contract infer prints, used unchanged, ingests every row of the file it was inferred from.
 */

type Local = Awaited<ReturnType<typeof tempLake>>;
let local: Local;
let fileNumber = 0;
beforeAll(async () => {
  local = await tempLake();
});
afterAll(() => local.cleanup());

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HEADERS = ['Order ID', 'Cost Total $', 'Flight Date', 'Dep Delay (min)', 'Cancelled', 'Carrier Code', 'Notes', 'Created At', 'Load %', 'Qty'];

function formatDate(millis: number, pattern: string): string {
  const date = new Date(millis);
  const pad = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    yyyy: String(date.getUTCFullYear()),
    MMM: MONTHS[date.getUTCMonth()]!,
    MM: pad(date.getUTCMonth() + 1),
    M: String(date.getUTCMonth() + 1),
    dd: pad(date.getUTCDate()),
    d: String(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    H: String(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
  };
  return pattern.replace(/yyyy|MMM|MM|M|dd|d|HH|H|mm|ss/g, (token) => parts[token]!);
}

const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2030, 11, 31) });
const DATE_PATTERNS = ['yyyy-MM-dd', 'M/d/yyyy', 'dd.MM.yyyy', 'MMM d yyyy', 'd MMM yyyy', 'MMM d, yyyy', 'yyyy/MM/dd'];
const TIMESTAMP_PATTERNS = ['yyyy-MM-dd HH:mm:ss', 'M/d/yyyy H:mm', 'dd.MM.yyyy HH:mm'];

/** One column: a generator of its values as text, for a given number of rows. */
const columnKinds: Array<fc.Arbitrary<fc.Arbitrary<string>>> = [
  fc.constant(fc.integer({ min: -100_000, max: 100_000 }).map(String)),
  fc.constant(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).map((n) => (Number(n) / 100).toFixed(2))),
  fc.constant(fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x.toExponential())),
  fc.constantFrom(['Y', 'N'], ['yes', 'no'], ['TRUE', 'FALSE'], ['t', 'f']).map((tokens) => fc.constantFrom(...tokens)),
  fc.constantFrom(...DATE_PATTERNS).map((p) => instant.map((t) => formatDate(t, p))),
  fc.constantFrom(...TIMESTAMP_PATTERNS).map((p) => instant.map((t) => formatDate(t, p))),
  fc.constant(fc.string({ unit: fc.constantFrom('a', 'B', ' ', ',', '"', '\n', 'é', '1', '-'), minLength: 1, maxLength: 12 })),
];

const table = fc.integer({ min: 1, max: HEADERS.length }).chain((width) =>
  fc.tuple(
    fc.shuffledSubarray(HEADERS, { minLength: width, maxLength: width }),
    fc.array(fc.oneof(...columnKinds), { minLength: width, maxLength: width }),
    fc.array(fc.constantFrom('', 'NA', 'NULL', 'x'), { minLength: width, maxLength: width }),
    fc.integer({ min: 1, max: 60 }),
  ).chain(([headers, kinds, missing, rows]) =>
    fc.tuple(
      fc.constant(headers),
      fc.tuple(
        ...kinds.map((kind, column) =>
          fc.array(fc.oneof({ weight: 9, arbitrary: kind }, { weight: missing[column] === 'x' ? 0 : 1, arbitrary: fc.constant(missing[column]!) }), {
            minLength: rows,
            maxLength: rows,
          }),
        ),
      ),
    ),
  ),
);

const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

describe('infer → ingest on generated files', () => {
  it('the inferred contract ingests every row of the file it came from', async () => {
    await fc.assert(
      fc.asyncProperty(table, async ([headers, columns]) => {
        const rows = columns[0]!.length;
        const lines = [headers.map(field).join(',')];
        for (let r = 0; r < rows; r++) lines.push(columns.map((c) => field(c[r]!)).join(','));
        // A row of nothing but empty fields is a blank line to a reader: not a row.
        const csv = `${lines.filter((l, i) => i === 0 || l !== '').join('\r\n')}\r\n`;
        const file = path.join(local.root, `gen${++fileNumber}.csv`);
        await writeFile(file, csv);

        const yaml = await inferContract(file, { name: 'gen' });
        const contract = parseContract(yaml, 'gen.yaml');
        await landRaw(local, `gen/${fileNumber}.csv`, csv);
        const manifest = await processObject(`gen/${fileNumber}.csv`, contract, local.lake);
        expect({ outcome: manifest.outcome, reason: manifest.rejectReason, quarantined: manifest.quarantinedByRule }).toEqual({
          outcome: 'ok',
          reason: undefined,
          quarantined: {},
        });
        expect(manifest.rowsWritten).toBe(manifest.rowsRead);
      }),
      { numRuns: 40 },
    );
  });
});
