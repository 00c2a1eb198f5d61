import { GluelessError } from '../pipeline/contract/errors.js';
import type { WindowSpec } from './source.js';
import { parseWindowDate, scheduledWindows, windowsBetween, type Window } from './window.js';

/** Which windows a run fetches: one date, a range (a backfill), or — neither — what the schedule fetches now. */
export interface WindowRequest {
  date?: string;
  from?: string;
  to?: string;
}

/** --date D, --from D --to D, or (neither) what the schedule would fetch now. Windows not yet begun are left out. */
export function windowsFor(spec: WindowSpec, options: WindowRequest, nowMs: number): Window[] {
  const parse = (flag: string, text: string) => {
    const civil = parseWindowDate(text);
    if (!civil) throw new GluelessError(`${flag} ${text}: not a date (YYYY-MM-DD, YYYY-MM or YYYY-MM-DDTHH)`);
    return civil;
  };
  if (options.date && (options.from || options.to)) throw new GluelessError('give --date, or --from and --to, not both');
  if ((options.from === undefined) !== (options.to === undefined)) throw new GluelessError('--from and --to go together');
  let windows: Window[];
  if (options.date) windows = windowsBetween(parse('--date', options.date), parse('--date', options.date), spec);
  else if (options.from && options.to) {
    windows = windowsBetween(parse('--from', options.from), parse('--to', options.to), spec);
    if (windows.length === 0) throw new GluelessError(`--from ${options.from} is after --to ${options.to}`);
  } else windows = scheduledWindows(nowMs, spec);
  const begun = windows.filter((w) => w.startMs <= nowMs);
  if (begun.length === 0) throw new GluelessError(`no window to fetch: ${windows[0]!.id} has not begun yet`);
  return begun;
}

