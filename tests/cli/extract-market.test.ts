import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { EnvSecretStore } from '../../src/adapters/local/env-secret-store.js';
import { runExtract } from '../../src/cli/commands/extract.js';
import {
  newYorkMidnight, openMeteoHandler, openMeteoValue, polygonBar, polygonHandler, POLYGON_KEY, startFakeApi, tradingDays, type FakeApi,
} from '../support/fake-apis.js';
import { tempLake } from '../support/local.js';

/**
 * `glueless extract stock_daily|weather_daily --from … --to … --base-url <a server answering like Polygon / Open-Meteo>`:
 * JSON landed as gzip JSON lines, converted by the JSON-lines reader into the tables analysts query.
 */

let local: Awaited<ReturnType<typeof tempLake>>;
beforeEach(async () => {
  local = await tempLake();
});
afterEach(() => local.cleanup());

const context = async () => ({
  local,
  contracts: await loadContractDirectory('datasets'),
  secrets: new EnvSecretStore({ POLYGON_API_KEY: POLYGON_KEY }),
  now: () => Date.parse('2024-07-15T00:00:00Z'),
});
const rows = async (sql: string) => (await runQuery(local.catalog, sql)).rows.map((row) => row.map(String));

describe('extract stock_daily (Polygon aggregates)', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi(polygonHandler({ pageSize: 50 }));
  });
  afterAll(() => api.stop());

  it('lands every served trading day of the half year exactly once, and asks nothing when run again', async () => {
    const options = { from: '2024-01-01', to: '2024-06-30', baseUrl: api.url, sources: 'sources' };
    const lines: string[] = [];
    const first = await runExtract('stock_daily', options, await context(), (l) => lines.push(l));
    const days = tradingDays('2024-01-01', '2024-06-30');
    // 4 tickers, each one range request paged over next_url (50 bars a page).
    expect(api.requests).toHaveLength(4 * Math.ceil(days.length / 50));
    expect(first.rowsWritten).toBe(4 * days.length);
    expect(first.rowsQuarantined).toBe(0);
    // One object per ticker and month.
    expect(lines.at(-1)).toMatch(/^stock_daily → stock_daily: 24 windows \(2024-01 … 2024-06\): 24 landed, .* 0 empty, 0 failed/);

    expect(await rows('SELECT ticker, count(*), count(DISTINCT trade_date) FROM stock_daily GROUP BY 1 ORDER BY 1')).toEqual(
      ['AAPL', 'AMZN', 'MSFT', 'NVDA'].map((t) => [t, String(days.length), String(days.length)]),
    );
    const served = await rows("SELECT trade_date::VARCHAR FROM stock_daily WHERE ticker = 'NVDA' ORDER BY 1");
    expect(served.map((r) => r[0])).toEqual(days);
    const bar = polygonBar('NVDA', '2024-03-11'); // the first Monday after clocks went forward in New York
    expect(await rows("SELECT open, close, volume, vwap, trades, epoch_ms(bar_start) FROM stock_daily WHERE ticker = 'NVDA' AND trade_date = DATE '2024-03-11'")).toEqual([
      [bar.o, bar.c, bar.v, bar.vw, bar.n, newYorkMidnight('2024-03-11')].map(String),
    ]);

    api.requests.length = 0;
    const again = await runExtract('stock_daily', options, await context(), () => undefined);
    expect(api.requests).toHaveLength(0);
    expect(again.results.every((r) => r.outcome === 'skipped')).toBe(true);
    expect(await rows('SELECT count(*) FROM stock_daily')).toEqual([[String(4 * days.length)]]);
  });
});

describe('extract weather_daily (Open-Meteo archive)', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi(openMeteoHandler());
  });
  afterAll(() => api.stop());

  it('lands every day of every place once, one object a place and month, nulls kept, and asks nothing when run again', async () => {
    const options = { from: '2024-01-01', to: '2024-06-30', baseUrl: api.url, sources: 'sources' };
    const first = await runExtract('weather_daily', options, await context(), () => undefined);
    expect(api.requests).toHaveLength(3); // one range request per place
    expect(first.rowsWritten).toBe(3 * 182);
    expect(first.results.filter((r) => r.outcome === 'landed')).toHaveLength(3 * 6);
    expect(await rows('SELECT place, count(DISTINCT observed_date), min(observed_date)::VARCHAR, max(observed_date)::VARCHAR FROM weather_daily GROUP BY 1 ORDER BY 1')).toEqual([
      ['London', '182', '2024-01-01', '2024-06-30'],
      ['New York', '182', '2024-01-01', '2024-06-30'],
      ['Sydney', '182', '2024-01-01', '2024-06-30'],
    ]);
    expect(await rows("SELECT latitude, temperature_max, precipitation_sum IS NULL FROM weather_daily WHERE place = 'Sydney' AND observed_date = DATE '2024-02-13'")).toEqual([
      ['-33.8688', String(openMeteoValue(-33.8688, '2024-02-13', 'temperature_2m_max')), 'true'],
    ]);
    api.requests.length = 0;
    await runExtract('weather_daily', options, await context(), () => undefined);
    expect(api.requests).toHaveLength(0);
  });
});
