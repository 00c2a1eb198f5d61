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
});
