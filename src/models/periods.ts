import type { Granularity } from './model.js';

/**
 * What changed, as half-open date intervals [from, to) of ISO dates, or everything. A run's partitions become
 * intervals (the day, month or year each partition holds); a model's partitions are periods (a month or a year), whose
 * intervals feed the models downstream in turn.
 */
export interface Interval {
  from: string;
  to: string;
}

export type Change = { all: true } | { all: false; intervals: Interval[] };

export const EVERYTHING: Change = { all: true };
export const NOTHING: Change = { all: false, intervals: [] };

export function union(changes: Change[]): Change {
  if (changes.some((c) => c.all)) return EVERYTHING;
  return { all: false, intervals: changes.flatMap((c) => (c.all ? [] : c.intervals)) };
}

export function isEmpty(change: Change): boolean {
  return !change.all && change.intervals.length === 0;
}

/** A model partition's value: `2024` (year) or `2024-03` (month). */
export function periodOf(date: string, granularity: Granularity): string {
  return granularity === 'year' ? date.slice(0, 4) : date.slice(0, 7);
}

export function periodInterval(period: string, granularity: Granularity): Interval {
  const year = Number(period.slice(0, 4));
  if (granularity === 'year') return { from: `${period}-01-01`, to: `${year + 1}-01-01` };
  const month = Number(period.slice(5, 7));
  const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
  return { from: `${period}-01`, to: `${next}-01` };
}

export function isPeriod(value: string, granularity: Granularity): boolean {
  return granularity === 'year' ? /^\d{4}$/.test(value) : /^\d{4}-(0[1-9]|1[0-2])$/.test(value);
}

/** The periods an interval touches. */
export function periodsOf(interval: Interval, granularity: Granularity): string[] {
  const periods: string[] = [];
  for (let period = periodOf(interval.from, granularity); periodInterval(period, granularity).from < interval.to; ) {
    periods.push(period);
    period = periodOf(periodInterval(period, granularity).to, granularity);
  }
  return periods;
}

export function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * The interval a table partition holds, from its key values: `order_date=2024-01-05` is that day, `year=2024/month=03`
 * March. Undefined when the keys say nothing about the data's dates (a table partitioned by ingest date).
 */
export function partitionInterval(values: Array<{ name: string; value: string }>, dateColumn: string | undefined): Interval | undefined {
  const get = (name: string) => values.find((v) => v.name === name)?.value;
  const date = dateColumn ? get(dateColumn) : undefined;
  if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) return { from: date, to: nextDay(date) };
  const year = get('year');
  if (!year) return undefined;
  const month = get('month');
  const day = get('day');
  if (month && day) return { from: `${year}-${month}-${day}`, to: nextDay(`${year}-${month}-${day}`) };
  if (month) return periodInterval(`${year}-${month}`, 'month');
  return periodInterval(year, 'year');
}
