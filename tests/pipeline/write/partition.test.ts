import fc from 'fast-check';
import { UnsafeValueError } from '../../../src/pipeline/contract/errors.js';
import { fileColumns, parsePartitionPath, partitionKeys, partitionPathFor } from '../../../src/pipeline/write/partition.js';
import { contractFrom } from '../../support/local.js';

const contract = (layout: string, type = 'date') =>
  contractFrom(`
name: events
source: { prefix: events/ }
columns:
  - { name: id, type: int, required: true }
  - { name: happened, type: ${type}, required: true }
partition_by: { column: happened, layout: ${layout} }
`);

describe('hive partitioning', () => {
  it('partitions by a date column as col=YYYY-MM-DD and moves it out of the file', () => {
    const c = contract('date');
    expect(partitionKeys(c).map((k) => k.name)).toEqual(['happened']);
    expect(fileColumns(c).map((col) => col.name)).toEqual(['id', '_source_key', '_ingested_at']);
    expect(partitionPathFor(c, 19782, 'date')).toBe('happened=2024-02-29/');
  });

  it('partitions a timestamp as year=/month=/day= in UTC, keeping the column in the file', () => {
    const c = contract('year_month_day', 'timestamp');
    expect(fileColumns(c).map((col) => col.name)).toEqual(['id', 'happened', '_source_key', '_ingested_at']);
    expect(partitionPathFor(c, Date.UTC(2024, 0, 5, 23, 59), 'timestamp')).toBe('year=2024/month=01/day=05/');
  });

  it('partitions a timestamp by the hour as year=/month=/day=/hour=, and the arrival time by ingest_time', () => {
    const c = contract('year_month_day_hour', 'timestamp');
    expect(partitionKeys(c).map((k) => k.name)).toEqual(['year', 'month', 'day', 'hour']);
    expect(partitionPathFor(c, Date.UTC(2024, 2, 5, 7, 59, 59), 'timestamp')).toBe('year=2024/month=03/day=05/hour=07/');
    expect(parsePartitionPath(c, 'year=2024/month=03/day=05/hour=07/').map((v) => v.value)).toEqual(['2024', '03', '05', '07']);
    expect(() => parsePartitionPath(c, 'year=2024/month=03/day=05/hour=7/')).toThrow(UnsafeValueError);
    const arrival = contractFrom(`
name: events
source: { prefix: events/ }
columns: [{ name: id, type: int }]
partition_by: { column: ingest_time, layout: year_month_day_hour }
`);
    expect(arrival.partition).toEqual({ column: 'ingest_time', layout: 'year_month_day_hour', byIngestDate: true });
    expect(fileColumns(arrival).map((col) => col.name)).toEqual(['id', '_source_key', '_ingested_at']);
    expect(() => contract('year_month_day_hour', 'date')).toThrow(/a date has no hour/);
  });

  it('supports month and year granularity', () => {
    expect(partitionPathFor(contract('year_month'), 19782, 'date')).toBe('year=2024/month=02/');
    expect(partitionPathFor(contract('year'), 19782, 'date')).toBe('year=2024/');
  });

  it('parses partition paths back, refusing anything off-pattern', () => {
    const c = contract('year_month_day', 'timestamp');
    expect(parsePartitionPath(c, 'year=2024/month=01/day=05/')).toEqual([
      { name: 'year', value: '2024' },
      { name: 'month', value: '01' },
      { name: 'day', value: '05' },
    ]);
    expect(() => parsePartitionPath(c, "year=2024/month=01/day=x'); DROP TABLE t; --/")).toThrow(UnsafeValueError);
    expect(() => parsePartitionPath(contract('date'), "happened=x'); DROP TABLE t; --/")).toThrow(UnsafeValueError);
  });

  it("gives the date and hour a Date's ISO text gives, for any instant (years 0–9999 worked out, the rest through the Date)", () => {
    const byHour = contract('year_month_day_hour', 'timestamp');
    const byDate = contract('date');
    const viaDate = (ms: number) => {
      const iso = new Date(ms).toISOString();
      return `year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/hour=${iso.slice(11, 13)}/`;
    };
    const edges = [0, -1, -0.5, 0.5, -86_400_000, Date.UTC(2000, 1, 29, 23), Date.UTC(1900, 1, 28, 1), Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      new Date('0000-01-01T00:00:00Z').getTime(), new Date('0000-03-01T00:00:00Z').getTime() - 1, new Date('9999-12-31T23:59:59.999Z').getTime(),
      new Date('9999-12-31T23:59:59.999Z').getTime() + 1, -8.64e15, 8.64e15];
    for (const ms of edges) expect(partitionPathFor(byHour, ms, 'timestamp')).toBe(viaDate(ms));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: -3e12, max: 4e12 }), fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true })), (ms) => {
        expect(partitionPathFor(byHour, ms, 'timestamp')).toBe(viaDate(ms));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e8, max: 1e8 }), (days) => {
        expect(partitionPathFor(byDate, days, 'date')).toBe(`happened=${new Date(days * 86_400_000).toISOString().slice(0, 10)}/`);
      }),
      { numRuns: 2000 },
    );
    expect(() => partitionPathFor(byHour, Number.NaN, 'timestamp')).toThrow(RangeError);
    expect(() => partitionPathFor(byHour, 8.64e15 + 1, 'timestamp')).toThrow(RangeError);
  });
});
