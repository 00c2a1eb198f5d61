/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by puppeteer-core, over the lake `npm start`
 * builds (the demo) with the real gold models run over it, plus a stand-in with the fixed columns for each model whose
 * inputs the demo has no sample of. The page
 * written by `--out` must load from file:// with no console error and no request leaving the page's directory, draw
 * marks in every chart, and show exactly its model's rows; `--serve` must show a new run on reload.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { openLocalLake, type LocalLake } from '../../src/adapters/local/local-lake.js';
import { ingestFiles } from '../../src/cli/commands/ingest.js';
import { runDemo } from '../../src/cli/commands/demo.js';
import { runModels } from '../../src/cli/commands/models.js';
import { serveDashboard, writeDashboard } from '../../src/cli/commands/dashboard.js';
import { createGoldStandIns } from '../support/gold-stand-ins.js';

// Browser globals inside page.evaluate callbacks; the project compiles without the DOM library.
declare const window: any;
declare const document: any;

/** CHROMIUM_PATH, else Debian's package, else whatever `chromium` is on PATH. */
function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((candidate) => candidate && existsSync(candidate));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

const chromium = findChromium();
if (!chromium) {
  console.warn('tests/dashboard/browser.test.ts skipped: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');
}
const describeWithBrowser = chromium ? describe : describe.skip;

interface PageProblems {
  console: string[];
  failed: string[];
  /** Requests for anything but the page's own files: the page must work offline. */
  outside: string[];
}

async function watchedPage(browser: Browser, allowedPrefix: string): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 900 });
  const problems: PageProblems = { console: [], failed: [], outside: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.console.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.console.push(`pageerror: ${(error as Error).message}`));
  page.on('requestfailed', (request) => problems.failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.failed.push(`${response.url()} ${response.status()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(allowedPrefix) && !request.url().startsWith('data:')) problems.outside.push(request.url());
  });
  return { page, problems };
}

/**
 * Per chart: the marks its series drew (the shapes under each series' view: bars, lines, symbols, heatmap cells, not
 * axes or grid lines), how many of those are in the page's SVG, and the note shown instead of a chart.
 */
async function chartMarks(page: Page): Promise<Record<string, { marks: number; svgShapes: number; note: string }>> {
  return page.evaluate(() => {
    const dashboard = window.gluelessDashboard as { chartIds: string[]; charts: Record<string, any> };
    const result: Record<string, { marks: number; svgShapes: number; note: string }> = {};
    for (const id of dashboard.chartIds) {
      const panel = document.getElementById(`panel-${id}`);
      const chart = dashboard.charts[id];
      let marks = 0;
      for (const series of chart?.getModel().getSeries() ?? []) {
        chart.getViewOfSeriesModel(series).group.traverse((element: { isGroup?: boolean; invisible?: boolean }) => {
          if (!element.isGroup && !element.invisible) marks += 1;
        });
      }
      result[id] = {
        marks,
        svgShapes: panel.querySelectorAll('.chart svg path, .chart svg rect').length,
        note: panel.querySelector('.note')?.textContent ?? '',
      };
    }
    return result;
  });
}

describeWithBrowser('glueless dashboard in headless Chromium', () => {
  let work: string;
  let lake: LocalLake;
  let browser: Browser;
  let profile: string;
  let site: string;
  let standIns: string[];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glueless-dashboard-'));
    await runDemo({ lake: path.join(work, 'lake'), datasets: 'datasets', samples: 'samples', sql: 'sql' }, () => {});
    lake = await openLocalLake(path.join(work, 'lake'));
    // The real models over what the demo ingested (`glueless models run`); stand-ins only where their inputs are absent.
    await runModels({ local: lake, contracts: await loadContractDirectory('datasets') }, 'models', undefined, {}, () => {});
    standIns = await createGoldStandIns(lake.catalog);
    site = path.join(work, 'site');
    await writeDashboard(lake.root, site, () => {});
    profile = await mkdtemp(path.join(tmpdir(), 'glueless-chromium-'));
    browser = await puppeteer.launch({
      executablePath: chromium!,
      headless: true,
      userDataDir: profile,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (work) await rm(work, { recursive: true, force: true });
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('loads from file:// offline, with every chart drawn and no errors', async () => {
    const index = path.join(site, 'index.html');
    const { page, problems } = await watchedPage(browser, pathToFileURL(site).href);
    await page.goto(pathToFileURL(index).href, { waitUntil: 'load' });
    // The page's script draws synchronously on load; if it did not run, the problems say why.
    const ready = await page.evaluate(() => window.gluelessDashboard !== undefined);
    expect({ ready, problems }).toEqual({ ready: true, problems: { console: [], failed: [], outside: [] } });

    const charts = await chartMarks(page);
    expect(Object.keys(charts).length).toBe(13);
    for (const [id, chart] of Object.entries(charts)) {
      expect({ id, note: chart.note, drawn: chart.marks > 0, inSvg: chart.svgShapes >= chart.marks }).toEqual({ id, note: '', drawn: true, inSvg: true });
    }
    expect(problems).toEqual({ console: [], failed: [], outside: [] });

    const screenshot = process.env.GLUELESS_DASHBOARD_SCREENSHOT;
    if (screenshot) {
      await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
      expect((await stat(screenshot)).size).toBeGreaterThan(10_000);
    }
    await page.close();
  }, 60_000);

  it("shows exactly the daily_revenue model's rows", async () => {
    const { page } = await watchedPage(browser, pathToFileURL(site).href);
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href, { waitUntil: 'load' });
    const shown = await page.evaluate(() => {
      const option = window.gluelessDashboard.charts.dailyRevenue.getOption();
      return { dates: option.xAxis[0].data as string[], revenue: option.series[0].data as number[] };
    });
    const model = await runQuery(lake.catalog, 'SELECT CAST(order_date AS VARCHAR), CAST(revenue AS DOUBLE) FROM daily_revenue ORDER BY order_date');
    expect(shown.dates.length).toBe(model.rows.length);
    expect(model.rows.length).toBeGreaterThan(1);
    const last = model.rows.length - 1;
    expect([shown.dates[last], shown.revenue[last]]).toEqual(model.rows[last]);
    expect(shown.dates).toEqual(model.rows.map((row) => row[0]));
    await page.close();
  }, 60_000);

  it('redraws the market charts for the ticker picked', async () => {
    const { page, problems } = await watchedPage(browser, pathToFileURL(site).href);
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href, { waitUntil: 'load' });
    const options = await page.$$eval('#ticker option', (list) => list.map((o) => (o as unknown as { value: string }).value));
    expect(options).toEqual(['AAPL', 'MSFT']);
    await page.select('#ticker', 'MSFT');
    const close = await page.evaluate(() => {
      const option = window.gluelessDashboard.charts.price.getOption();
      return option.series.find((s: { name: string }) => s.name === 'close').data as number[];
    });
    const model = await runQuery(lake.catalog, "SELECT close FROM stock_indicators WHERE ticker = 'MSFT' ORDER BY trade_date");
    expect(close).toEqual(model.rows.map((row) => row[0]));
    expect(problems).toEqual({ console: [], failed: [], outside: [] });
    await page.close();
  }, 60_000);

  /** One more file run: a row in the lake_runs stand-in, or a real ingest where lake_runs is the real model. */
  async function newRun(): Promise<void> {
    if (standIns.includes('lake_runs')) {
      await runQuery(lake.catalog, `INSERT INTO lake_runs VALUES ('sales_orders', DATE '2026-12-01', 1, 0, 10, 10, 0, TIMESTAMP '2026-12-01 08:00:00')`);
      return;
    }
    const file = path.join(work, 'sales_orders_late.csv');
    await writeFile(file, 'order_id,customer_id,product,quantity,price,order_date,notes\n990001,C-1,Desk Lamp,1,19.99,2024-03-08,\n');
    await ingestFiles([file], 'sales_orders', { local: lake, contracts: await loadContractDirectory('datasets') }, () => {});
  }

  it('serves the lake on 127.0.0.1 and shows a new run on reload', async () => {
    const server = await serveDashboard(lake.root, 0, () => {});
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const { page, problems } = await watchedPage(browser, server.url);
      await page.goto(server.url, { waitUntil: 'load' });
      const filesRun = () =>
        page.evaluate(() => {
          const series = window.gluelessDashboard.charts.runFiles.getOption().series as Array<{ name: string; data: number[] }>;
          return series.find((s) => s.name === 'files')!.data.reduce((sum, n) => sum + n, 0);
        });
      const before = await filesRun();
      await newRun();
      await page.reload({ waitUntil: 'load' });
      expect(await filesRun()).toBe(before + 1);
      const charts = await chartMarks(page);
      expect(Object.values(charts).every((chart) => chart.marks > 0)).toBe(true);
      expect(problems).toEqual({ console: [], failed: [], outside: [] });
      await page.close();
    } finally {
      await server.close();
    }
  }, 60_000);
});
