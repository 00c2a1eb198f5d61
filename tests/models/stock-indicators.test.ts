import { readFile } from 'node:fs/promises';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { refreshAfterRuns } from '../../src/cli/commands/models.js';
import { ingestObject } from '../../src/pipeline/run/ingest.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../src/pipeline/contract/contract.js';
import { landRaw, tempLake } from '../support/local.js';

/**
 * stock_indicators against an independent implementation of pandas' semantics: rolling(n).mean() / .std() (ddof = 1,
 * NaN until the window is full), pct_change() * 100, ewm(span = n, adjust = False) (seeded with the first value).
 */
type Series = Array<number | null>;

function rolling(values: Series, n: number, reduce: (window: number[]) => number): Series {
  return values.map((_, i) => {
    if (i + 1 < n) return null;
    const window = values.slice(i + 1 - n, i + 1);
    return window.some((v) => v === null) ? null : reduce(window as number[]);
  });
}
const mean = (w: number[]) => w.reduce((a, b) => a + b, 0) / w.length;
const std = (w: number[]) => {
  const m = mean(w);
  return Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / (w.length - 1));
};
function ewm(values: number[], span: number): number[] {
  const alpha = 2 / (span + 1);
  const out: number[] = [];
  values.forEach((v, i) => out.push(i === 0 ? v : alpha * v + (1 - alpha) * out[i - 1]!));
  return out;
}

function reference(closes: number[]) {
  const pct: Series = closes.map((c, i) => (i === 0 ? null : 100 * (c / closes[i - 1]! - 1)));
  const sma7 = rolling(closes, 7, mean);
  const sma30 = rolling(closes, 30, mean);
  const vol30 = rolling(pct, 30, std);
  const bbMiddle = rolling(closes, 20, mean);
  const bbSd = rolling(closes, 20, std);
  const ema12 = ewm(closes, 12);
  const ema26 = ewm(closes, 26);
  const macd = ema12.map((v, i) => v - ema26[i]!);
  const signal = ewm(macd, 9);
  return closes.map((close, i) => ({
    close,
    pct_change: pct[i],
    sma_7: sma7[i],
    sma_30: sma30[i],
    volatility_30: vol30[i],
    bb_middle: bbMiddle[i],
    bb_upper: bbMiddle[i] === null ? null : bbMiddle[i]! + 2 * bbSd[i]!,
    bb_lower: bbMiddle[i] === null ? null : bbMiddle[i]! - 2 * bbSd[i]!,
    ema_12: ema12[i],
    ema_26: ema26[i],
    macd: macd[i],
    macd_signal: signal[i],
    macd_hist: macd[i]! - signal[i]!,
  }));
}

/** Weekday bars of a seeded random walk. */
function bars(ticker: string, start: string, count: number, seed: number, from = 100) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: Array<{ ticker: string; date: string; close: number }> = [];
  let close = from;
  for (let day = Date.parse(`${start}T00:00:00Z`); out.length < count; day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    close = Math.max(1, close * (1 + (random() - 0.5) * 0.06));
    out.push({ ticker, date: new Date(day).toISOString().slice(0, 10), close: Math.round(close * 10_000) / 10_000 });
  }
  return out;
}

const HEADER = 'ticker,trade_date,open,high,low,close,volume,vwap,trades,bar_start';
const csvOf = (rows: ReturnType<typeof bars>) =>
  `${HEADER}\n${rows.map((r) => `${r.ticker},${r.date},${r.close},${r.close},${r.close},${r.close},1000,${r.close},10,${r.date}T14:30:00Z`).join('\n')}\n`;

/** Polygon-shaped JSON lines, as the extractor lands them for datasets/stock_daily.yaml (t: the bar's start, epoch ms). */
const jsonlOf = (rows: ReturnType<typeof bars>) =>
  rows.map((r) => JSON.stringify({ ticker: r.ticker, t: Date.parse(`${r.date}T05:00:00Z`), o: r.close, h: r.close, l: r.close, c: r.close, v: 1000, vw: r.close, n: 10 })).join('\n') + '\n';

const INPUTS = [
  { name: 'a fixture contract fed by CSV', contract: 'tests/fixtures/datasets/stock_daily.yaml', prefix: 'market/stock_daily/', extension: 'csv', render: csvOf },
  { name: "the shipped datasets/stock_daily.yaml fed Polygon's JSON lines", contract: 'datasets/stock_daily.yaml', prefix: 'stock/daily/', extension: 'jsonl', render: jsonlOf },
];

const COLUMNS = ['close', 'pct_change', 'sma_7', 'sma_30', 'volatility_30', 'bb_middle', 'bb_upper', 'bb_lower', 'ema_12', 'ema_26', 'macd', 'macd_signal', 'macd_hist'] as const;

describe.each(INPUTS)('stock_indicators over $name', (input) => {
  let local: Awaited<ReturnType<typeof tempLake>>;
  let contract: DatasetContract;
  beforeAll(async () => {
    local = await tempLake();
    contract = parseContract(await readFile(input.contract, 'utf8'), input.contract);
  });
  afterAll(() => local.cleanup());

  const ingest = async (name: string, rows: ReturnType<typeof bars>) => {
    const key = `${input.prefix}${name}.${input.extension}`;
    await landRaw(local, key, input.render(rows));
    const result = await ingestObject(key, { ...local, contracts: [contract] });
    if (result.status !== 'processed') throw new Error(JSON.stringify(result));
    return refreshAfterRuns({ local, contracts: [contract] }, 'models', [{ contract, manifest: result.manifest }], () => undefined);
  };

  const nvda = bars('NVDA', '2022-01-03', 600, 7, 150);
  const aapl = bars('AAPL', '2022-01-03', 300, 11, 40);

  it('equals pandas-style rolling and ewm to 1e-6 of the close, each ticker on its own, past the 250-row EMA lookback', async () => {
    const first = nvda.filter((b) => b.date < '2024-01-01');
    await ingest('2022-2023', [...first, ...aapl]);
    await ingest('2024', nvda.filter((b) => b.date >= '2024-01-01'));

    for (const series of [nvda, aapl]) {
      const expected = reference(series.map((b) => b.close));
      const result = await runQuery(local.catalog, `SELECT * FROM stock_indicators WHERE ticker = '${series[0]!.ticker}' ORDER BY trade_date`);
      expect(result.columns.slice(0, 16)).toEqual(['ticker', 'trade_date', 'close', 'volume', 'pct_change', 'sma_7', 'sma_30', 'volatility_30', 'bb_middle', 'bb_upper', 'bb_lower', 'ema_12', 'ema_26', 'macd', 'macd_signal', 'macd_hist']);
      expect(result.rows).toHaveLength(series.length);
      let worst = 0;
      result.rows.forEach((row, i) => {
        expect(row[1]).toBe(series[i]!.date);
        for (const column of COLUMNS) {
          const actual = row[result.columns.indexOf(column)] as number | null;
          const want = expected[i]![column];
          if (want === null) {
            expect([i, column, actual]).toEqual([i, column, null]);
          } else {
            expect(actual).not.toBeNull();
            worst = Math.max(worst, Math.abs(actual! - want) / Math.max(1, Math.abs(series[i]!.close)));
          }
        }
      });
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('keeps the bounded EMA lookback within its error bound (1 − α)^250 × the range of closes', async () => {
    const closes = nvda.map((b) => b.close);
    const range = Math.max(...closes) - Math.min(...closes);
    const result = await runQuery(local.catalog, "SELECT ema_26 FROM stock_indicators WHERE ticker = 'NVDA' ORDER BY trade_date");
    const exact = ewm(closes, 26);
    const bound = (1 - 2 / 27) ** 250 * range;
    const errors = result.rows.map((row, i) => Math.abs((row[0] as number) - exact[i]!));
    expect(Math.max(...errors.slice(0, 251))).toBeLessThan(1e-9); // exact while the lookback reaches the first row
    expect(Math.max(...errors)).toBeLessThanOrEqual(bound + 1e-9);
    expect(bound).toBeLessThan(1e-6);
  });

  it('refreshes only the periods a window can move: a new year alone, a correction that year and every later one', async () => {
    const next = bars('NVDA', '2025-01-01', 5, 3, nvda.at(-1)!.close).filter((b) => b.date > nvda.at(-1)!.date);
    const later = await ingest('2025', next);
    expect(later.find((r) => r.model === 'stock_indicators')!.partitions).toEqual(['2025']);

    const fix = nvda.find((b) => b.date.startsWith('2023-06'))!;
    const corrected = await ingest('fix', [{ ...fix, close: fix.close * 1.01 }]);
    expect(corrected.find((r) => r.model === 'stock_indicators')!.partitions).toEqual(['2023', '2024', '2025']);
  });
});
