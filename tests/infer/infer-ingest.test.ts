import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { inferContract } from '../../src/cli/commands/infer.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import { ingestObject } from '../../src/pipeline/run/ingest.js';
import { typeName } from '../../src/pipeline/contract/column-type.js';
import { landFile, tempLake } from '../support/local.js';
import { sq } from '../support/oracle-sql.js';

/**
 * The done-when of `glueless infer`: on a real-world-style export (spaced, cased and symbol headers, `Mar 5 2024`
 * dates, US date-times, decimals, Y/N flags, NA for missing, quoted text with commas, quotes and line breaks, CRLF and
 * a BOM as Excel writes them), the inferred contract, used unchanged, ingests every row, and DuckDB over the Parquet
 * equals DuckDB over the CSV converted by hand in SQL.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CARRIERS = ['AA', 'DL', 'UA', 'WN', 'B6'];
const AIRPORTS = ['JFK', 'ATL', 'ORD', 'LAX', 'DFW', 'DEN', 'SEA', 'BOS'];
const REMARKS = ['', '', '', 'crew swap, late', 'pax said "thanks"', 'gate change\nsee log', 'wx'];
const DAYS = 45;

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flightsCsv(rows: number, seed: number): string {
  const next = random(seed);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = [
    'Flight Date,Carrier Code,Flight Number,Origin,Dest,Sched Dep,Dep Delay (min),Distance (mi),Cost Total $,Load Factor,Cancelled,Tail Number,Remarks',
  ];
  for (let i = 0; i < rows; i++) {
    const day = new Date(Date.UTC(2024, 2, 1) + (i % DAYS) * 86_400_000);
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()];
    const cancelled = next() < 0.05;
    const cost = next() < 0.1 ? String(Math.floor(next() * 900) + 100) : (next() * 99_900 + 100).toFixed(2);
    lines.push(
      [
        `${MONTHS[m]} ${d} ${y}`,
        pick(CARRIERS),
        String(100 + Math.floor(i / DAYS)),
        pick(AIRPORTS),
        pick(AIRPORTS),
        `${m + 1}/${d}/${y} ${Math.floor(next() * 24)}:${String(Math.floor(next() * 60)).padStart(2, '0')}`,
        cancelled ? 'NA' : String(Math.floor(next() * 195) - 15),
        String(Math.floor(next() * 2700) + 100),
        cost,
        (0.4 + next() * 0.599).toFixed(3),
        cancelled ? 'Y' : 'N',
        `N${100 + Math.floor(next() * 50)}AA`,
        pick(REMARKS),
      ]
        .map(field)
        .join(','),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The same rows, read by DuckDB from the CSV as text and converted the way a person would write it in SQL. */
function fromCsvSql(csvPath: string): string {
  return `
    SELECT strptime("Flight Date", '%b %-d %Y')::DATE AS flight_date,
           "Carrier Code" AS carrier_code,
           CAST("Flight Number" AS INTEGER) AS flight_number,
           "Origin" AS origin,
           "Dest" AS dest,
           strptime("Sched Dep", '%-m/%-d/%Y %-H:%M') AS sched_dep,
           CAST(NULLIF("Dep Delay (min)", 'NA') AS INTEGER) AS dep_delay_min,
           CAST("Distance (mi)" AS INTEGER) AS distance_mi,
           CAST("Cost Total $" AS DECIMAL(9,2)) AS cost_total,
           CAST("Load Factor" AS DECIMAL(5,3)) AS load_factor,
           "Cancelled" = 'Y' AS cancelled,
           "Tail Number" AS tail_number,
           NULLIF("Remarks", '') AS remarks
    FROM read_csv(${sq(csvPath)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`;
}

const COLUMNS = [
  'flight_date',
  'carrier_code',
  'flight_number',
  'origin',
  'dest',
  'sched_dep',
  'dep_delay_min',
  'distance_mi',
  'cost_total',
  'load_factor',
  'cancelled',
  'tail_number',
  'remarks',
];

describe('glueless infer on a real-world-style export', () => {
  it('yields a contract that ingests every row, and DuckDB over the Parquet equals DuckDB over the CSV', async () => {
    const local = await tempLake();
    try {
      const file = path.join(local.root, 'Flights March-April 2024.csv');
      await writeFile(file, flightsCsv(3000, 42));

      const yaml = await inferContract(file, { name: 'flights', prefix: 'ops/flights/' });
      expect(yaml).toMatch(/^# Inferred by `glueless infer` from Flights March-April 2024\.csv: all 3,000 data rows\.$/m);
      expect(yaml).toMatch(/^# Dialect: delimiter ',', quote '"', CRLF line endings, UTF-8 BOM\.$/m);
      const contract = parseContract(yaml, 'flights.yaml');
      expect(contract.columns.map((c) => [c.name, c.source, typeName(c.type), c.required, c.parse.format, c.parse.nullTokens])).toEqual([
        ['flight_date', 'Flight Date', 'date', true, 'MMM d yyyy', []],
        ['carrier_code', 'Carrier Code', 'string', true, undefined, []],
        ['flight_number', 'Flight Number', 'int', true, undefined, []],
        ['origin', 'Origin', 'string', true, undefined, []],
        ['dest', 'Dest', 'string', true, undefined, []],
        ['sched_dep', 'Sched Dep', 'timestamp', true, 'M/d/yyyy H:mm', []],
        ['dep_delay_min', 'Dep Delay (min)', 'int', false, undefined, ['NA']],
        ['distance_mi', 'Distance (mi)', 'int', true, undefined, []],
        ['cost_total', 'Cost Total $', 'decimal(9,2)', true, undefined, []],
        ['load_factor', 'Load Factor', 'decimal(5,3)', true, undefined, []],
        ['cancelled', 'Cancelled', 'boolean', true, undefined, []],
        ['tail_number', 'Tail Number', 'string', true, undefined, []],
        ['remarks', 'Remarks', 'string', false, undefined, []],
      ]);
      expect(contract.columns.find((c) => c.name === 'cancelled')!.parse).toMatchObject({ trueValues: ['Y'], falseValues: ['N'] });
      expect(contract.primaryKey).toEqual(['flight_date', 'flight_number']);
      expect(contract.partition).toEqual({ column: 'flight_date', layout: 'date', byIngestDate: false });

      const key = 'ops/flights/flights_2024.csv';
      await landFile(local, key, file);
      const result = await ingestObject(key, { ...local, contracts: [contract] });
      if (result.status !== 'processed') throw new Error(JSON.stringify(result));
      const { manifest } = result;
      expect(manifest).toMatchObject({ outcome: 'ok', rowsRead: 3000, rowsWritten: 3000, rowsQuarantined: 0, quarantinedByRule: {} });
      expect(manifest.partitions).toHaveLength(DAYS);

      const csv = fromCsvSql(local.lake.raw.locationOf(key));
      const aggregates = `SELECT count(*), count(dep_delay_min), sum(dep_delay_min), sum(distance_mi), sum(cost_total), sum(load_factor),
                                 count_if(cancelled), count(remarks), count(DISTINCT remarks), count(DISTINCT tail_number),
                                 min(flight_date), max(flight_date), epoch_ms(min(sched_dep)), epoch_ms(max(sched_dep))`;
      const fromParquet = await runQuery(local.catalog, `${aggregates} FROM flights`);
      const fromCsv = await runQuery(local.catalog, `${aggregates} FROM (${csv})`);
      expect(fromParquet.rows).toEqual(fromCsv.rows);
      expect(Number(fromCsv.rows[0]![0])).toBe(3000);
      expect(Number(fromCsv.rows[0]![6])).toBeGreaterThan(0);

      // Timestamps compare as instants: the Parquet holds UTC milliseconds, strptime a naive time read as UTC.
      const row = (alias: string) =>
        COLUMNS.map((c) => (c === 'sched_dep' ? `epoch_ms(${alias}.sched_dep)` : `${alias}.${c}`)).join(', ');
      const mismatches = await runQuery(
        local.catalog,
        `SELECT count(*) FROM flights a FULL OUTER JOIN (${csv}) e
           ON a.flight_date = e.flight_date AND a.flight_number = e.flight_number
         WHERE a.flight_number IS NULL OR e.flight_number IS NULL OR (${row('a')}) IS DISTINCT FROM (${row('e')})`,
      );
      expect(Number(mismatches.rows[0]![0])).toBe(0);
    } finally {
      await local.cleanup();
    }
  });
});
