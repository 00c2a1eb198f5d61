import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FetchHttpClient } from '../../src/adapters/http/fetch-http-client.js';
import { EnvSecretStore } from '../../src/adapters/local/env-secret-store.js';
import { extractWindows, type ExtractDeps } from '../../src/extract/extract.js';
import { parseSource } from '../../src/extract/parse-source.js';
import type { SourceDefinition } from '../../src/extract/source.js';
import { parseWindowDate, windowsBetween } from '../../src/extract/window.js';
import {
  newYorkMidnight, openMeteoHandler, polygonHandler, POLYGON_KEY, startFakeApi, tfnswHandler, TFNSW_KEY, tradingDays, type FakeApi,
} from '../support/fake-apis.js';
import { readText, tempLake } from '../support/local.js';

/**
 * The extractor against local servers answering like Polygon, Open-Meteo and TfNSW, with the faults real APIs have:
 * each window lands whole or not at all, is reported as landed, empty or failed, and is never fetched twice.
 */

const fileOf = (name: string) => (existsSync(`sources/${name}.yaml`) ? `sources/${name}.yaml` : `sources/pending/${name}.yaml`);
const FAST = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 40 };

function shipped(name: string, items?: SourceDefinition['request']['items']): SourceDefinition {
  const source = parseSource(readFileSync(fileOf(name), 'utf8'), fileOf(name));
  return { ...source, request: { ...source.request, retry: FAST, timeoutMs: 2000, items: items ?? source.request.items } };
}

/** The shipped Polygon source with day windows: weekends and holidays are windows of their own, and empty. */
function dailyStock(items: SourceDefinition['request']['items']): SourceDefinition {
  const source = shipped('stock_daily', items);
  return {
    ...source,
    window: { ...source.window, unit: 'day', requestSpan: 366, delayMs: 0 },
    target: { ...source.target, key: 'year={yyyy}/month={MM}/day={dd}/stock_daily_{ticker}_{window}.jsonl.gz' },
  };
}

const windows = (source: SourceDefinition, from: string, to: string) => windowsBetween(parseWindowDate(from)!, parseWindowDate(to)!, source.window);

let local: Awaited<ReturnType<typeof tempLake>>;
const retries: Array<{ attempt: number; delayMs: number; reason: string }> = [];
beforeEach(async () => {
  local = await tempLake();
  retries.length = 0;
});
afterEach(() => local.cleanup());

function deps(api: FakeApi, prefix: string, extra: Partial<ExtractDeps> = {}): ExtractDeps {
  return {
    http: new FetchHttpClient(),
    secrets: new EnvSecretStore({ POLYGON_API_KEY: POLYGON_KEY, TFNSW_API_KEY: TFNSW_KEY }),
    raw: local.lake.raw,
    prefix,
    baseUrl: api.url,
    now: () => Date.parse('2024-07-15T00:00:00Z'),
    onRetry: (retry) => retries.push(retry),
    ...extra,
  };
}

const rawKeys = async () => (await local.lake.raw.list('')).map((o) => o.key);
const jsonLines = async (key: string) => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await local.lake.raw.read(key)) chunks.push(chunk);
  return gunzipSync(Buffer.concat(chunks)).toString('utf8').trim().split('\n').map((line) => JSON.parse(line));
};

describe('Polygon daily aggregates', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi(polygonHandler({ pageSize: 40 }));
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.requests.length = 0;
  });
  const nvda = () => dailyStock([{ ticker: 'NVDA' }]);

  it('lands every trading day of a half-year backfill once, over several pages, and asks nothing when run again', async () => {
    const source = nvda();
    const { results, stats } = await extractWindows(source, windows(source, '2024-01-01', '2024-06-30'), deps(api, 'stock/daily/'));
    const days = tradingDays('2024-01-01', '2024-06-30');
    expect(results.filter((r) => r.outcome === 'landed').map((r) => r.window).sort()).toEqual(days);
    expect(results.filter((r) => r.outcome === 'empty')).toHaveLength(182 - days.length);
    // One range request, paged over next_url: 124 bars, 40 a page.
    expect(stats.requests).toBe(Math.ceil(days.length / 40));
    expect(api.requests.every((r) => r.url.searchParams.get('apiKey') === POLYGON_KEY)).toBe(true);
    expect(api.requests[0]!.url.pathname).toBe('/v2/aggs/ticker/NVDA/range/1/day/2024-01-01/2024-06-30');
    const dataKeys = (await rawKeys()).filter((k) => k.startsWith('stock/daily/'));
    expect(dataKeys).toHaveLength(days.length);
    const [bar] = await jsonLines('stock/daily/year=2024/month=03/day=05/stock_daily_NVDA_2024-03-05.jsonl.gz');
    expect(bar).toMatchObject({ ticker: 'NVDA', t: newYorkMidnight('2024-03-05'), o: expect.any(Number), n: expect.any(Number) });

    api.requests.length = 0;
    const again = await extractWindows(source, windows(source, '2024-01-01', '2024-06-30'), deps(api, 'stock/daily/'));
    expect(again.results.every((r) => r.outcome === 'skipped')).toBe(true);
    expect(api.requests).toHaveLength(0);
  });

  it('reports a weekend as empty, lands nothing for it, and does not ask again', async () => {
    const source = nvda();
    const first = await extractWindows(source, windows(source, '2024-03-09', '2024-03-10'), deps(api, 'stock/daily/'));
    expect(first.results.map((r) => r.outcome)).toEqual(['empty', 'empty']);
    expect((await rawKeys()).filter((k) => k.startsWith('stock/'))).toEqual([]);
    const second = await extractWindows(source, windows(source, '2024-03-09', '2024-03-10'), deps(api, 'stock/daily/'));
    expect(second.results.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
    expect(api.requests).toHaveLength(1);
  });

  it('retries a 429 after the Retry-After it names, and without one after a backoff', async () => {
    const source = nvda();
    api.fault({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"status":"ERROR","error":"too many"}' });
    api.fault({ kind: 'status', status: 429, body: '{"status":"ERROR","error":"You\'ve exceeded the maximum requests per minute"}' });
    const { results } = await extractWindows(source, windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/'));
    expect(results.map((r) => r.outcome)).toEqual(['landed']);
    expect(retries.map((r) => r.delayMs)).toEqual([1000, expect.any(Number)]);
    expect(retries[1]!.delayMs).toBeLessThanOrEqual(FAST.maxDelayMs);
    expect(retries[1]!.reason).toMatch(/HTTP 429: .*exceeded the maximum requests per minute/);
    expect(api.requests).toHaveLength(3);
  });

  it('retries a 500, a timeout and a body cut short, then lands the window', async () => {
    const source = { ...nvda(), request: { ...nvda().request, timeoutMs: 300 } };
    api.fault({ kind: 'status', status: 500, body: 'Internal Server Error' });
    api.fault({ kind: 'hang' });
    api.fault({ kind: 'cut' });
    const { results } = await extractWindows(source, windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/'));
    expect(results.map((r) => r.outcome)).toEqual(['landed']);
    expect(retries.map((r) => r.reason)).toEqual([
      'HTTP 500: Internal Server Error',
      'no whole answer within 0.3 s',
      expect.stringMatching(/^connection failed \(.+\) for 127\.0\.0\.1:\d+$/),
    ]);
  });

  it('fails a window whose every attempt is cut short, landing nothing of it', async () => {
    const source = nvda();
    api.fault({ kind: 'cut' }, { times: FAST.maxAttempts });
    const { results } = await extractWindows(source, windows(source, '2024-03-04', '2024-03-08'), deps(api, 'stock/daily/'));
    expect(results.map((r) => r.outcome)).toEqual(Array(5).fill('failed'));
    expect(results[0]!.error).toMatch(/^stock_daily 2024-03-04…2024-03-08 ticker=NVDA: GET http:\/\/127\.0\.0\.1:\d+\/v2\/aggs\/ticker\/NVDA\/range\/1\/day\/2024-03-04\/2024-03-08\?adjusted=true&sort=asc&limit=50000&apiKey=\*\*\*: connection failed .* \(gave up after 4 attempts\)$/);
    expect(await rawKeys()).toEqual([]);
  });

  it("fails on the API's own error body, an HTML page, a wrong shape — naming source, window, URL without the key, and reason", async () => {
    const source = dailyStock([{ ticker: 'BAD' }]);
    const bad = await extractWindows(source, windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/'));
    expect(bad.results[0]!.error).toMatch(/^stock_daily 2024-03-05 ticker=BAD: GET .*apiKey=\*\*\*: the API reports an error \(status: "ERROR"\): Ticker BAD is not supported$/);

    api.fault({ kind: 'html', status: 200 });
    const html = await extractWindows(nvda(), windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/'));
    expect(html.results[0]!.error).toMatch(/: an HTML page instead of JSON \("502 Bad Gateway"\)$/);

    api.fault({ kind: 'html' }, { times: FAST.maxAttempts });
    const gateway = await extractWindows(nvda(), windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/'));
    expect(gateway.results[0]!.error).toMatch(/: HTTP 502: an HTML page \("502 Bad Gateway"\) \(gave up after 4 attempts\)$/);

    api.fault({ kind: 'status', status: 200, body: '{"status":"OK","results":{"v":1}}' });
    const shape = await extractWindows(nvda(), windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/'));
    expect(shape.results[0]!.error).toMatch(/: "results" is not a list of records$/);
    expect(await rawKeys()).toEqual([]);
  });

  it('does not retry a refused key, and never shows the key', async () => {
    const source = nvda();
    const wrongKey = { get: async () => 'wrong-key-value' };
    const { results } = await extractWindows(source, windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/', { secrets: wrongKey }));
    expect(results[0]!.error).toMatch(/apiKey=\*\*\*: HTTP 401: Unknown API Key$/);
    expect(results[0]!.error).not.toContain('wrong-key-value');
    expect(api.requests).toHaveLength(1);
  });

  it('gives up at once when Retry-After is longer than the time left', async () => {
    const source = nvda();
    api.fault({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    const { results } = await extractWindows(source, windows(source, '2024-03-05', '2024-03-05'), deps(api, 'stock/daily/', { remainingMs: () => 60_000 }));
    expect(results[0]!.error).toMatch(/HTTP 429 \(no time left to wait 3600 s and retry\)$/);
    expect(api.requests).toHaveLength(1);
  });

  it('resumes a backfill stopped halfway: every window lands exactly once', async () => {
    const source = { ...nvda(), window: { ...nvda().window, requestSpan: 1 }, request: { ...nvda().request, concurrency: 1 } };
    const all = windows(source, '2024-02-01', '2024-02-29');
    let seen = 0;
    const stop = new Error('stopped halfway');
    await expect(
      extractWindows(source, all, deps(api, 'stock/daily/', { onWindow: () => { if (++seen === 12) throw stop; } })),
    ).rejects.toBe(stop);
    const landedFirst = (await rawKeys()).filter((k) => k.startsWith('stock/'));
    expect(landedFirst.length).toBeGreaterThan(0);
    expect(landedFirst.length).toBeLessThan(tradingDays('2024-02-01', '2024-02-29').length);
    const firstRequests = api.requests.map((r) => r.url.pathname);

    api.requests.length = 0;
    const { results } = await extractWindows(source, all, deps(api, 'stock/daily/'));
    const secondRequests = api.requests.map((r) => r.url.pathname);
    // Nothing that landed (or was found empty) in the first run is asked for again.
    const doneFirst = new Set(results.filter((r) => r.outcome === 'skipped').map((r) => r.window));
    expect(doneFirst.size).toBeGreaterThanOrEqual(11);
    expect(secondRequests.filter((p) => [...doneFirst].some((day) => p.endsWith(`/${day}/${day}`)))).toEqual([]);
    const dataKeys = (await rawKeys()).filter((k) => k.startsWith('stock/'));
    expect(dataKeys.map((k) => /(\d{4}-\d{2}-\d{2})\.jsonl\.gz$/.exec(k)![1]).sort()).toEqual(tradingDays('2024-02-01', '2024-02-29'));
    for (const key of dataKeys) expect(await jsonLines(key)).toHaveLength(1);
    expect(firstRequests.length + secondRequests.length).toBe(29);
  });
});

describe('Open-Meteo archive', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi(openMeteoHandler());
  });
  afterAll(() => api.stop());

  it('zips the daily columns into one record a day per place, with the place added and missing values null', async () => {
    const source = shipped('weather_daily');
    const { results, stats } = await extractWindows(source, windows(source, '2024-02', '2024-03'), deps(api, 'weather/daily/'));
    expect(results.map((r) => [r.window, r.outcome, r.records])).toEqual(
      ['sydney', 'new-york', 'london'].flatMap(() => [['2024-02', 'landed', 29], ['2024-03', 'landed', 31]]),
    );
    expect(stats.requests).toBe(3); // one range request per place, split into months by `time`
    const month = await jsonLines('weather/daily/year=2024/month=03/weather_daily_new-york_2024-03.jsonl.gz');
    const day = month.find((record) => record.time === '2024-03-03');
    expect(day).toEqual({
      time: '2024-03-03', temperature_2m_max: expect.any(Number), temperature_2m_min: expect.any(Number),
      precipitation_sum: null, wind_speed_10m_max: expect.any(Number), place: 'New York', latitude: 40.7128, longitude: -74.006,
    });
    const query = api.requests[0]!.url.searchParams;
    expect([query.get('start_date'), query.get('end_date'), query.get('latitude')]).toEqual(['2024-02-01', '2024-03-31', '-33.8688']);
  });

  it('asks for a month still open only as far as the archive has data, and replaces it as the archive fills', async () => {
    const source = shipped('weather_daily', [{ place: 'Sydney', slug: 'sydney', latitude: -33.8688, longitude: 151.2093 }]);
    const july = windows(source, '2024-07', '2024-07');
    const first = await extractWindows(source, july, deps(api, 'weather/daily/', { now: () => Date.parse('2024-07-15T06:00:00Z') }));
    expect(first.results.map((r) => [r.outcome, r.records])).toEqual([['landed', 10]]); // 1–10 July: five days behind
    expect(api.requests.at(-1)!.url.searchParams.get('end_date')).toBe('2024-07-10');
    const later = await extractWindows(source, july, deps(api, 'weather/daily/', { now: () => Date.parse('2024-07-20T06:00:00Z') }));
    expect(later.results.map((r) => [r.outcome, r.records])).toEqual([['replaced', 15]]);
    const settled = await extractWindows(source, july, deps(api, 'weather/daily/', { now: () => Date.parse('2024-08-10T00:00:00Z') }));
    expect(settled.results.map((r) => [r.outcome, r.records])).toEqual([['skipped', 0]]);
  });

  it("fails with Open-Meteo's own reason", async () => {
    const source = shipped('weather_daily', [{ place: 'Sydney', slug: 'sydney', latitude: -33.8688, longitude: 151.2093 }]);
    const { results } = await extractWindows(source, windows(source, '1939-12', '1939-12'), deps(api, 'weather/daily/'));
    expect(results[0]!.error).toMatch(/^weather_daily 1939-12 .*: GET .*: HTTP 400: Parameter 'start_date' is out of allowed range/);
  });
});

describe('TfNSW roads/spatial', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi(tfnswHandler());
  });
  afterAll(() => api.stop());
  const station = () => shipped('traffic_hourly', [{ station_key: '4024' }]);

  it("retries TfNSW's 403 rate limit, and lands the CSV byte for byte", async () => {
    api.fault({ kind: 'status', status: 403, headers: { 'x-error-detail': 'Account Over Rate Limit' } });
    api.fault({ kind: 'status', status: 403, headers: { 'x-error-detail': 'Account Over Queries Per Second Limit' } });
    const source = station();
    const { results } = await extractWindows(source, windows(source, '2024-02', '2024-02'), deps(api, 'traffic/hourly/'));
    expect(results.map((r) => [r.outcome, r.records])).toEqual([['landed', 29 * 4]]);
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 403: Account Over Rate Limit', 'HTTP 403: Account Over Queries Per Second Limit']);
    const csv = await readText(local, 'raw', results[0]!.key);
    expect(csv.split('\n')[0]).toMatch(/^station_key,traffic_direction_seq,.*,hour_23$/);
  });

  it('fails a 403 that is not a rate limit at once, and a month with no counts is empty', async () => {
    api.fault({ kind: 'status', status: 403, body: '{"ErrorDetails":{"Message":"The API key is not subscribed to this API"}}' });
    const source = station();
    const denied = await extractWindows(source, windows(source, '2024-02', '2024-02'), deps(api, 'traffic/hourly/'));
    expect(denied.results[0]!.error).toMatch(/: HTTP 403: The API key is not subscribed to this API$/);
    expect(denied.results[0]!.error).not.toContain(TFNSW_KEY);
    const quiet = shipped('traffic_hourly', [{ station_key: '9999' }]);
    const empty = await extractWindows(quiet, windows(quiet, '2024-02', '2024-02'), deps(api, 'traffic/hourly/'));
    expect(empty.results.map((r) => r.outcome)).toEqual(['empty']);
    expect((await rawKeys()).filter((k) => k.startsWith('traffic/'))).toEqual([]);
  });

  it('fails a JSON answer where CSV was declared', async () => {
    api.fault({ kind: 'status', status: 200, body: '{"ErrorDetails":{"Message":"Query failed: column \\"dat\\" does not exist"}}' });
    const source = station();
    const { results } = await extractWindows(source, windows(source, '2024-02', '2024-02'), deps(api, 'traffic/hourly/'));
    expect(results[0]!.error).toMatch(/: JSON instead of CSV: Query failed: column "dat" does not exist$/);
  });
});
