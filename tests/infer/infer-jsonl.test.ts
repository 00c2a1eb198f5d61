import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { inferContract } from '../../src/cli/commands/infer.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import { ingestObject } from '../../src/pipeline/run/ingest.js';
import { contractTypeName } from '../../src/pipeline/contract/column-type.js';
import { landFile, tempLake } from '../support/local.js';
import { sq } from '../support/oracle-sql.js';

/**
 * The done-when of `infer` for JSON lines: on an export like a USGS earthquake feed flattened to lines (spaced keys,
 * nulls, a field of mixed types, nested objects and arrays, epoch-millisecond times, `Jun 12 1998` dates, a bigint
 * past 2^53), the inferred contract, used unchanged, ingests every record, and the table equals DuckDB's reading of
 * the same file; a gzip of the records concatenated as Firehose writes them ingests the same way.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function quakes(count: number): string[] {
  let seed = 3;
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(Date.UTC(1998, 5, 1) + (i % 40) * 86_400_000);
    return JSON.stringify({
      id: `ci${String(40000 + i)}`,
      'Release Date': `${MONTHS[day.getUTCMonth()]} ${day.getUTCDate()} ${day.getUTCFullYear()}`,
      properties: {
        mag: Number((next() * 6).toFixed(2)),
        place: next() < 0.1 ? null : `${Math.floor(next() * 90)} km N of Ridgecrest, CA`,
        time: 896659200000 + i * 60_000,
        tsunami: next() < 0.02,
        felt: next() < 0.5 ? null : Math.floor(next() * 500),
        code: i % 7 === 0 ? 4000 + i : `x${i}`, // mixed: a number here, a string there
      },
      geometry: { type: 'Point', coordinates: [-117.5 + next(), 35.2 + next(), Number((next() * 20).toFixed(1))] },
      seq: `${9007199254740993n + BigInt(i)}`,
    }).replace(/"seq":"(\d+)"/, '"seq":$1');
  });
}

describe('glueless infer for JSON lines', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-infer-jsonl-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('drafts a contract that ingests the export unchanged, equal to DuckDB, plain and as Firehose gzip', async () => {
    const lines = quakes(1500);
    const file = path.join(work, 'quakes.jsonl');
    await writeFile(file, lines.join('\n') + '\n');
    const yaml = await inferContract(file);
    const contract = parseContract(yaml, 'quakes.yaml');
    const byName = Object.fromEntries(contract.columns.map((c) => [c.name, { type: contractTypeName(c.type), source: c.source, format: c.parse.format, required: c.required }]));
    expect(byName).toMatchObject({
      id: { type: 'string', required: true },
      release_date: { type: 'date', source: 'Release Date', format: 'MMM d yyyy' },
      properties_mag: { type: 'decimal(5,2)', source: 'properties.mag' }, // plain decimals, as for CSV
      properties_place: { type: 'string', required: false },
      properties_time: { type: 'timestamp', format: 'epoch_ms' },
      properties_tsunami: { type: 'boolean' },
      properties_felt: { type: 'int', required: false },
      properties_code: { type: 'string' },
      geometry_type: { type: 'string', source: 'geometry.type' },
      geometry_coordinates: { type: 'json', source: 'geometry.coordinates' },
      seq: { type: 'bigint' },
    });
    expect(contract.primaryKey).toEqual(['id']);

    const local = await tempLake();
    try {
      await landFile(local, `${contract.prefix}quakes.jsonl`, file);
      const firehose = path.join(work, 'quakes-1-1998-06-01-00-00-00-abc');
      await writeFile(firehose, gzipSync(lines.join('')));
      await landFile(local, `${contract.prefix}1998/06/01/00/quakes-1`, firehose);
      for (const key of [`${contract.prefix}quakes.jsonl`, `${contract.prefix}1998/06/01/00/quakes-1`]) {
        const result = await ingestObject(key, { ...local, contracts: [contract] });
        if (result.status !== 'processed') throw new Error(JSON.stringify(result));
        expect(result.manifest).toMatchObject({ rowsRead: 1500, rowsWritten: 1500, rowsQuarantined: 0 });
      }
      const duck = `read_json(${sq(file)}, format = 'newline_delimited')`;
      const list = (items: string[]) => `[${items.map((item) => `(${item})::VARCHAR`).join(', ')}]`;
      const fromDuck = list([
        'count(*)', 'sum(properties.mag)::DECIMAL(18,2)', 'count(properties.place)', 'sum(properties.felt)',
        'sum(geometry.coordinates[3])::DECIMAL(18,1)', 'sum(seq::HUGEINT)', 'min(make_timestamp(properties.time * 1000))',
        'count(*) FILTER (WHERE properties.tsunami)',
      ]);
      const fromLake = list([
        'count(*) // 2', '(sum(properties_mag) / 2)::DECIMAL(18,2)', 'count(properties_place) // 2', 'sum(properties_felt) // 2',
        "(sum(json_extract(geometry_coordinates, '$[2]')::DOUBLE) / 2)::DECIMAL(18,1)", 'sum(seq::HUGEINT) // 2', 'min(properties_time)',
        'count(*) FILTER (WHERE properties_tsunami) // 2',
      ]);
      const summary = await runQuery(local.catalog, `SELECT (SELECT ${fromDuck} FROM ${duck}), (SELECT ${fromLake} FROM quakes)`);
      expect(String(summary.rows[0]![0])).toMatch(/^1500,/);
      expect(String(summary.rows[0]![1])).toBe(String(summary.rows[0]![0]));
      const exact = await runQuery(local.catalog, `SELECT DISTINCT seq::VARCHAR FROM quakes WHERE id = 'ci40000'`);
      expect(exact.rows).toEqual([['9007199254740993']]);
    } finally {
      await local.cleanup();
    }
  });
});
