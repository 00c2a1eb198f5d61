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
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return undefined;
  const days = daysFromCivil(t.year, t.month, t.day);
  if (days === undefined) return undefined;
  const millis = days * MS_PER_DAY + ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 + t.millisecond;
  return Math.abs(millis) <= MAX_DATE_MILLIS ? millis : undefined;
}

const MS_PER_DAY = 86_400_000;
/** The range of a JavaScript Date. */
const MAX_DATE_MILLIS = 8.64e15;

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, or undefined when it is not a date (month 13, Feb 30, Feb 29 of
 * a common year). Howard Hinnant's days_from_civil: integer arithmetic, no Date object.
 */
export function daysFromCivil(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > 28) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const length = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
    if (day > length) return undefined;
  }
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
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
