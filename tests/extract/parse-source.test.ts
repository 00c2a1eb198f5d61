import { readFileSync } from 'node:fs';
import { parseSource } from '../../src/extract/parse-source.js';
import { parseWindowDate, requestValues, scheduledWindows, windowAt, windowsBetween } from '../../src/extract/window.js';

const traffic = readFileSync('sources/traffic_hourly.yaml', 'utf8');

describe('source definitions', () => {
  it('parse the shipped source into what the extractor runs', () => {
    const source = parseSource(traffic, 'sources/traffic_hourly.yaml');
    expect(source.request.items).toEqual([{ station_key: '4024' }, { station_key: '4026' }, { station_key: '52001' }]);
    expect(source.auth).toEqual({ type: 'header', name: 'Authorization', prefix: 'apikey ' });
    expect(source.target.format).toBe('as_received');
  });

  it.each([
    ['window:\n  unit: month', 'window:\n  unit: week', /^f\.yaml: window\.unit: Invalid option/],
    ["schedule: cron(0 3 2 * ? *)", 'schedule: every month', /^f\.yaml: window\.schedule: must be an EventBridge Scheduler expression/],
    ["date < '{until}'", "date < '{stop}'", /^f\.yaml: request\.query\.q: unknown placeholder \{stop\}/],
    ['key: year={yyyy}/month={MM}/station_key={station_key}/traffic_hourly_{station_key}_{window}.csv', 'key: month={MM}/{station_key}.csv', /^f\.yaml: target\.key: must hold \{window\} or \{yyyy\} \{MM\}/],
    ['station_key={station_key}/traffic_hourly_{station_key}_', 'traffic_hourly_', /^f\.yaml: target\.key: must hold an item field \(\{station_key\}\)/],
    ['  prefix: "apikey "\n', '  prefix: "apikey "\n  colour: red\n', /^f\.yaml: auth: Unrecognized key: "colour"/],
    ['  timezone: Australia/Sydney\n  format', '  timezone: Australia/Sidney\n  format', /^f\.yaml: window\.timezone: unknown IANA time zone/],
    ['response:\n  records: { type: csv }', 'response:\n  records: { type: csv }\npagination: { type: link_header }', /^f\.yaml: pagination: CSV is landed as received/],
  ])('name the file and field of a mistake (%s → %s)', (from, to, message) => {
    expect(traffic.includes(from)).toBe(true);
    expect(() => parseSource(traffic.replace(from, to), 'f.yaml')).toThrow(message);
  });

  it('refuse an authenticated source without a secret', () => {
    const noSecret = traffic.replace(/secret:\n(  .*\n)+/, '');
    expect(() => parseSource(noSecret, 'f.yaml')).toThrow(/^f\.yaml: secret: auth\.type header needs a secret/);
  });
});

describe('windows', () => {
  const ny = { unit: 'day' as const, timezone: 'America/New_York' };

  it("follow the source's calendar: a New York day, a Sydney month across daylight saving", () => {
    const day = windowAt(parseWindowDate('2024-03-10')!, ny); // the day clocks go forward: 23 hours
    expect([day.id, new Date(day.startMs).toISOString(), (day.untilMs - day.startMs) / 3_600_000]).toEqual(['2024-03-10', '2024-03-10T05:00:00.000Z', 23]);
    const month = windowAt(parseWindowDate('2024-04')!, { unit: 'month', timezone: 'Australia/Sydney' });
    expect(requestValues(month, month, 'date')).toEqual({ start: '2024-04-01', end: '2024-04-30', until: '2024-05-01' });
    expect(requestValues(day, day, 'epoch_ms').start).toBe(String(Date.parse('2024-03-10T05:00:00Z')));
  });

  it('run from --from to --to inclusive, and a schedule covers the lookback ending lag windows back', () => {
    expect(windowsBetween(parseWindowDate('2024-01-30')!, parseWindowDate('2024-02-02')!, ny).map((w) => w.id)).toEqual([
      '2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02',
    ]);
    const spec = { unit: 'month' as const, timezone: 'Australia/Sydney', format: 'date' as const, schedule: '', scheduleTimezone: 'UTC', lag: 1, lookback: 2, requestSpan: 1, delayMs: 0 };
    // 2024-03-01T15:00Z is already 2 March in Sydney.
    expect(scheduledWindows(Date.parse('2024-03-01T15:00:00Z'), spec).map((w) => w.id)).toEqual(['2024-01', '2024-02']);
    expect(parseWindowDate('2024-02-30')).toBeUndefined();
  });
});
