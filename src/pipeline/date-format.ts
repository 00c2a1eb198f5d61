/**
 * Date and time patterns as found in real exports (`MMM d yyyy`, `dd.MM.yyyy HH:mm`, `M/d/yy h:mm a`), compiled once
 * into a regular expression, and wall-clock times placed in an IANA time zone. Letters as in Java / Joda patterns:
 * yyyy yy MMMM MMM MM M dd d HH H hh h mm m ss s SSS a XXX Z; text in single quotes is literal.
 */

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC when the text carried an offset. */
  offsetMinutes?: number;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const TOKENS = /yyyy|yy|MMMM|MMM|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|SSS|a|XXX|Z|'[^']*'|./g;

export type WallTimeParser = (text: string) => WallTime | undefined;

export function compileDatePattern(pattern: string): WallTimeParser {
  const fields: Array<(match: string, time: WallTime) => boolean> = [];
  let source = '^';
  let pm: boolean | undefined;
  for (const token of pattern.match(TOKENS) ?? []) {
    const group = (regex: string, set: (value: string, time: WallTime) => boolean) => {
      source += `(${regex})`;
      fields.push(set);
    };
    switch (token) {
      case 'yyyy':
        group('\\d{4}', (v, t) => ((t.year = Number(v)), true));
        break;
      case 'yy':
        group('\\d{2}', (v, t) => ((t.year = 2000 + Number(v) - (Number(v) >= 70 ? 100 : 0)), true));
        break;
      case 'MMMM':
      case 'MMM':
        group('[A-Za-z]{3,9}\\.?', (v, t) => {
          const name = v.replace('.', '').toLowerCase();
          const index = MONTHS.findIndex((m) => (token === 'MMM' ? m.slice(0, 3) === name || m === name : m === name));
          t.month = index + 1;
          return index >= 0;
        });
        break;
      case 'MM':
      case 'dd':
      case 'HH':
      case 'hh':
      case 'mm':
      case 'ss':
      case 'M':
      case 'd':
      case 'H':
      case 'h':
      case 'm':
      case 's': {
        const key = ({ M: 'month', d: 'day', H: 'hour', h: 'hour', m: 'minute', s: 'second' } as const)[token[0] as 'M'];
        group(token.length === 2 ? '\\d{2}' : '\\d{1,2}', (v, t) => ((t[key] = Number(v)), true));
        break;
      }
      case 'SSS':
        group('\\d{1,9}', (v, t) => ((t.millisecond = Number(v.slice(0, 3).padEnd(3, '0'))), true));
        break;
      case 'a':
        group('[AaPp][Mm]', (v) => ((pm = v.toLowerCase() === 'pm'), true));
        break;
      case 'XXX':
      case 'Z':
        group('Z|[+-]\\d{2}:?\\d{2}', (v, t) => {
          if (v === 'Z') t.offsetMinutes = 0;
          else {
            const digits = v.slice(1).replace(':', '');
            t.offsetMinutes = (v[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
          }
          return true;
        });
        break;
      default:
        source += escapeRegex(token.startsWith("'") && token.length > 1 ? token.slice(1, -1) : token);
    }
  }
  const regex = new RegExp(`${source}$`);
  const twelveHour = /h/.test(pattern.replace(/'[^']*'/g, '')) && /a/.test(pattern.replace(/'[^']*'/g, ''));
  return (text) => {
    const match = regex.exec(text);
    if (!match) return undefined;
    const time: WallTime = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 };
    pm = undefined;
    for (let i = 0; i < fields.length; i++) if (!fields[i]!(match[i + 1]!, time)) return undefined;
    if (twelveHour) {
      if (time.hour < 1 || time.hour > 12) return undefined;
      time.hour = (time.hour % 12) + (pm ? 12 : 0);
    }
    return time;
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Milliseconds since the epoch of a calendar instant in UTC, or undefined when a part is out of range (Feb 30). */
export function utcMillis(t: Omit<WallTime, 'offsetMinutes'>): number | undefined {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(t.year, t.month - 1, t.day);
  date.setUTCHours(t.hour, t.minute, t.second, t.millisecond);
  return date.getUTCDate() === t.day && date.getUTCMonth() === t.month - 1 ? date.getTime() : undefined;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC that `timeZone` is at the instant `millis`. */
function zoneOffsetAt(timeZone: string, millis: number): number {
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(millis)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(millis / 1000) * 1000) / 60_000);
}

/** The instant a wall-clock time denotes: its own offset if it had one, else `timeZone` (UTC by default). */
export function instantOf(time: WallTime, timeZone = 'UTC'): number | undefined {
  const wall = utcMillis(time);
  if (wall === undefined) return undefined;
  if (time.offsetMinutes !== undefined) return wall - time.offsetMinutes * 60_000;
  if (timeZone === 'UTC') return wall;
  // The offset at the guessed instant, checked once more at the result (daylight-saving transitions).
  const first = wall - zoneOffsetAt(timeZone, wall) * 60_000;
  return wall - zoneOffsetAt(timeZone, first) * 60_000;
}
