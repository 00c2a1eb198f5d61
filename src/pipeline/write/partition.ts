import type { DatasetContract } from '../contract/contract.js';
import { UnsafeValueError } from '../contract/errors.js';
import type { ColumnType } from '../contract/column-type.js';
import { LINEAGE_COLUMNS } from '../contract/lineage.js';

/**
 * Hive partitioning: which partition keys a contract has, the values a row falls in, and the `k=v/` path of a
 * partition. Partition values come only from typed date / timestamp values, and are checked against their pattern
 * again before they reach a path or a DDL statement.
 */

export interface PartitionKey {
  name: string;
  type: ColumnType;
  /** The only shape a value of this key may take. */
  pattern: RegExp;
}

const DATE_KEY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const YEAR_PATTERN = /^\d{4}$/;
const TWO_DIGITS = /^\d{2}$/;

export function partitionKeys(contract: DatasetContract): PartitionKey[] {
  const { column, layout } = contract.partition;
  const string: ColumnType = { kind: 'string' };
  switch (layout) {
    case 'date':
      return [{ name: column, type: { kind: 'date' }, pattern: DATE_KEY_PATTERN }];
    case 'year':
      return [{ name: 'year', type: string, pattern: YEAR_PATTERN }];
    case 'year_month':
      return [
        { name: 'year', type: string, pattern: YEAR_PATTERN },
        { name: 'month', type: string, pattern: TWO_DIGITS },
      ];
    case 'year_month_day':
      return [
        { name: 'year', type: string, pattern: YEAR_PATTERN },
        { name: 'month', type: string, pattern: TWO_DIGITS },
        { name: 'day', type: string, pattern: TWO_DIGITS },
      ];
    case 'year_month_day_hour':
      return [
        { name: 'year', type: string, pattern: YEAR_PATTERN },
        { name: 'month', type: string, pattern: TWO_DIGITS },
        { name: 'day', type: string, pattern: TWO_DIGITS },
        { name: 'hour', type: string, pattern: TWO_DIGITS },
      ];
  }
}

/** Columns stored in the Parquet files: every source and derived column except those that became partition keys, then
 * the lineage columns. */
export function fileColumns(contract: DatasetContract): Array<{ name: string; type: ColumnType; required: boolean; statistics: boolean }> {
  const keyNames = new Set(partitionKeys(contract).map((k) => k.name));
  // Row-group min/max only where queries prune on them (they cost time to gather for every column chunk): the primary
  // key, the partition column when it stays in the files, and what the contract marks with `statistics: true`.
  const pruned = (name: string, marked: boolean | undefined) =>
    marked ?? (contract.primaryKey.includes(name) || name === contract.partition.column);
  return [
    ...contract.columns.map((c) => ({ name: c.name, type: c.type, required: c.required, statistics: pruned(c.name, c.statistics) })),
    ...contract.derived.map((d) => ({ name: d.name, type: d.type, required: false, statistics: pruned(d.name, d.statistics) })),
  ]
    .filter((c) => !keyNames.has(c.name))
    .concat(LINEAGE_COLUMNS.map((c) => ({ name: c.name, type: c.type, required: false, statistics: false })));
}

const MS_PER_DAY = 86_400_000;

/**
 * Partition path (`order_date=2024-01-05/`, `year=2024/month=01/day=05/` or `…/day=05/hour=07/`) for a partition column value: days since
 * the epoch for a date, milliseconds since the epoch (UTC) for a timestamp.
 */
export function partitionPathFor(contract: DatasetContract, value: number, kind: 'date' | 'timestamp'): string {
  const iso = isoDateHour(kind === 'date' ? value * MS_PER_DAY : value); // YYYY-MM-DDTHH
  const [year, month, day] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  switch (contract.partition.layout) {
    case 'date':
      return `${contract.partition.column}=${iso.slice(0, 10)}/`;
    case 'year':
      return `year=${year}/`;
    case 'year_month':
      return `year=${year}/month=${month}/`;
    case 'year_month_day':
      return `year=${year}/month=${month}/day=${day}/`;
    case 'year_month_day_hour':
      return `year=${year}/month=${month}/day=${day}/hour=${iso.slice(11, 13)}/`;
  }
}

/**
 * The first 13 characters of `new Date(ms).toISOString()` (`YYYY-MM-DDTHH`), worked out from the day number (the
 * proleptic Gregorian calendar's arithmetic) for years 0000–9999: a Date and its ISO text for each of 20,000 daily
 * partitions cost ~25 ms of a run. Any other instant (years outside, or not a finite number: the RangeError) goes
 * through the Date as before.
 */
function isoDateHour(instant: number): string {
  // As a Date keeps its time value: whole milliseconds, cut toward zero.
  const ms = Math.trunc(instant);
  const days = Math.floor(ms / MS_PER_DAY);
  // 0000-03-01 … 9999-12-31 as days since the epoch.
  if (!(days >= -719468 && days <= 2932896)) return new Date(instant).toISOString().slice(0, 13);
  const hour = Math.floor((ms - days * MS_PER_DAY) / MS_PER_HOUR);
  // Days since 0000-03-01, in 400-year eras (146,097 days each), years that start on 1 March.
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = era * 400 + yearOfEra + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${TWO[month]}-${TWO[day]}T${TWO[hour]}`;
}

const MS_PER_HOUR = 3_600_000;
const TWO = Array.from({ length: 32 }, (_, n) => String(n).padStart(2, '0'));

/**
 * Splits a partition path back into key values, checking each against its key's pattern: the gate before any value
 * reaches a DDL statement.
 */
export function parsePartitionPath(contract: DatasetContract, path: string): Array<{ name: string; value: string }> {
  const keys = partitionKeys(contract);
  const body = path.endsWith('/') ? path.slice(0, -1) : path;
  // One key (a date layout) needs no split: a run registers a path per partition, tens of thousands.
  const parts = keys.length === 1 && !body.includes('/') ? [body] : body.split('/');
  if (parts.length !== keys.length) {
    throw new UnsafeValueError(`partition path "${path}" does not match the keys of table ${contract.name}`);
  }
  return parts.map((part, index) => {
    const key = keys[index]!;
    const equals = part.indexOf('=');
    const name = part.slice(0, equals);
    const value = part.slice(equals + 1);
    if (equals < 0 || name !== key.name || value.includes('=') || !key.pattern.test(value)) {
      throw new UnsafeValueError(
        `partition value "${part}" is not a valid ${key.name} for table ${contract.name} (expected ${key.pattern})`,
      );
    }
    return { name, value };
  });
}
