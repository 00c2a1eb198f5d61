import { instantOf } from '../pipeline/typing/date-format.js';
import type { WindowFormat, WindowSpec, WindowUnit } from './source.js';

/**
 * Windows: the whole hours, days or months one run fetches, on the calendar of the source's time zone. A window is
 * named by its start (`2024-03-05`, `2024-03`, `2024-03-05T13`); its instants are computed in that zone.
 */

export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
}

export interface Window {
  unit: WindowUnit;
  timeZone: string;
  /** `2024-03` (month), `2024-03-05` (day), `2024-03-05T13` (hour). */
  id: string;
  start: Civil;
  startMs: number;
  /** The first instant after the window. */
  untilMs: number;
}

/** Placeholders a request may use for its window. */
export const WINDOW_PLACEHOLDERS = ['start', 'end', 'until'] as const;
/** Placeholders a raw key may use for its window. */
export const KEY_PLACEHOLDERS = ['yyyy', 'MM', 'dd', 'HH', 'window'] as const;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function truncate(civil: Civil, unit: WindowUnit): Civil {
  return { year: civil.year, month: civil.month, day: unit === 'month' ? 1 : civil.day, hour: unit === 'hour' ? civil.hour : 0 };
}

/** Civil arithmetic through Date.UTC, which normalises overflow (month 13, day 32, hour 24). */
function step(civil: Civil, unit: WindowUnit, count: number): Civil {
  const d = new Date(
    Date.UTC(civil.year, civil.month - 1 + (unit === 'month' ? count : 0), civil.day + (unit === 'day' ? count : 0), civil.hour + (unit === 'hour' ? count : 0)),
  );
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours() };
}

function idOf(civil: Civil, unit: WindowUnit): string {
  const month = `${pad(civil.year, 4)}-${pad(civil.month)}`;
  if (unit === 'month') return month;
  const day = `${month}-${pad(civil.day)}`;
  return unit === 'day' ? day : `${day}T${pad(civil.hour)}`;
}

function instant(civil: Civil, timeZone: string): number {
  return instantOf({ ...civil, minute: 0, second: 0, millisecond: 0 }, timeZone)!;
}

export function windowAt(civil: Civil, spec: Pick<WindowSpec, 'unit' | 'timezone'>): Window {
  const start = truncate(civil, spec.unit);
  return {
    unit: spec.unit,
    timeZone: spec.timezone,
    id: idOf(start, spec.unit),
    start,
    startMs: instant(start, spec.timezone),
    untilMs: instant(step(start, spec.unit, 1), spec.timezone),
  };
}

export function nextWindow(window: Window, count = 1): Window {
  return windowAt(step(window.start, window.unit, count), { unit: window.unit, timezone: window.timeZone });
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** The civil date and hour at an instant in a zone. */
export function civilAt(ms: number, timeZone: string): Civil {
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric' });
    zoneFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! };
}

export function windowContaining(ms: number, spec: Pick<WindowSpec, 'unit' | 'timezone'>): Window {
  return windowAt(civilAt(ms, spec.timezone), spec);
}

/**
 * A date as the user writes it on the command line: `2024-03-05`, `2024-03` (a month), `2024-03-05T13` (an hour).
 * Undefined when it is not one.
 */
export function parseWindowDate(text: string): Civil | undefined {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2}))?)?$/.exec(text.trim());
  if (!m) return undefined;
  const civil = { year: Number(m[1]), month: Number(m[2]), day: m[3] ? Number(m[3]) : 1, hour: m[4] ? Number(m[4]) : 0 };
  const back = step(civil, 'hour', 0);
  if (back.year !== civil.year || back.month !== civil.month || back.day !== civil.day || civil.hour > 23) return undefined;
  return civil;
}

/** Every window from the one holding `from` to the one holding `to`, in order. */
export function windowsBetween(from: Civil, to: Civil, spec: Pick<WindowSpec, 'unit' | 'timezone'>): Window[] {
  const last = windowAt(to, spec);
  const windows: Window[] = [];
  for (let w = windowAt(from, spec); w.startMs <= last.startMs; w = nextWindow(w)) windows.push(w);
  return windows;
}

/** What a scheduled run fetches: `lookback` windows ending `lag` windows before the one `now` is in. */
export function scheduledWindows(nowMs: number, spec: WindowSpec): Window[] {
  const last = nextWindow(windowContaining(nowMs, spec), -spec.lag);
  return Array.from({ length: spec.lookback }, (_, i) => nextWindow(last, i - spec.lookback + 1));
}

/** A window still open (today's, this month's) may gain data: it is fetched again and replaced when it changed. */
export function isOpen(window: Window, nowMs: number, delayMs = 0): boolean {
  return nowMs < window.untilMs + delayMs;
}

/** `{start}`, `{end}` (the window's last instant, inclusive) and `{until}` (exclusive) for a run of windows. */
export function requestValues(
  first: Window,
  last: Window,
  format: WindowFormat,
  availableUntilMs = Number.POSITIVE_INFINITY,
): Record<(typeof WINDOW_PLACEHOLDERS)[number], string> {
  const write = (ms: number) => formatInstant(ms, first.timeZone, format);
  const until = Math.min(last.untilMs, availableUntilMs);
  return { start: write(first.startMs), end: write(until - 1), until: write(until) };
}

function formatInstant(ms: number, timeZone: string, format: WindowFormat): string {
  if (format === 'epoch_ms') return String(ms);
  if (format === 'epoch_s') return String(Math.floor(ms / 1000));
  const c = civilAt(ms, timeZone);
  const date = `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`;
  if (format === 'date') return date;
  const minutes = new Date(ms).getUTCMinutes(); // whole-hour zones only matter here; half-hour zones keep their minutes
  return `${date}T${pad(c.hour)}:${pad(minutes)}:${pad(new Date(ms).getUTCSeconds())}`;
}

export function keyValues(window: Window): Record<(typeof KEY_PLACEHOLDERS)[number], string> {
  const s = window.start;
  return { yyyy: pad(s.year, 4), MM: pad(s.month), dd: pad(s.day), HH: pad(s.hour), window: window.id };
}
