import { readFile } from 'node:fs/promises';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { refreshAfterRuns } from '../../src/cli/commands/models.js';
import { ingestObject } from '../../src/pipeline/run/ingest.js';
import { parseContract } from '../../src/pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../src/pipeline/contract/contract.js';
import { landRaw, salesContract, tempLake } from '../support/local.js';

const fixture = async (name: string) => parseContract(await readFile(`tests/fixtures/datasets/${name}.yaml`, 'utf8'), `${name}.yaml`);

describe('weather_monthly, traffic_station_monthly, lake_runs, lake_quarantine', () => {
  let local: Awaited<ReturnType<typeof tempLake>>;
  let contracts: DatasetContract[];
  beforeAll(async () => {
    local = await tempLake();
    contracts = [await fixture('weather_daily'), await fixture('traffic_hourly'), await salesContract()];
  });
  afterAll(() => local.cleanup());

  const ingest = async (key: string, csv: string) => {
    await landRaw(local, key, csv);
    const result = await ingestObject(key, { ...local, contracts });
    if (result.status === 'skipped') throw new Error(result.reason);
    const contract = contracts.find((c) => c.name === result.manifest.table)!;
    return refreshAfterRuns({ local, contracts }, 'models', [{ contract, manifest: result.manifest }], () => undefined);
  };
  const rows = async (sql: string) => (await runQuery(local.catalog, sql)).rows;

  it('weather_monthly: means, total and the hottest day per place and month', async () => {
    const header = 'place,latitude,longitude,observed_date,temperature_max,temperature_min,precipitation_sum,wind_speed_max';
    await ingest('weather/daily/a.csv', [
      header,
      'Sydney,-33.87,151.21,2024-01-30,30,20,1.5,10',
      'Sydney,-33.87,151.21,2024-01-31,34,22,,12',
      'Sydney,-33.87,151.21,2024-02-01,25,18,4,9',
      'Sydney,-33.87,151.21,2024-02-02,27,19,0.5,9',
      'Oslo,59.91,10.75,2024-01-31,-2,-9,3,20',
    ].join('\n'));
    expect(await rows('SELECT place, month, temperature_max_mean, temperature_min_mean, precipitation_total, hottest_date, hottest_temperature FROM weather_monthly ORDER BY place, month')).toEqual([
      ['Oslo', '2024-01-01', -2, -9, 3, '2024-01-31', -2],
      ['Sydney', '2024-01-01', 32, 21, 1.5, '2024-01-31', 34],
      ['Sydney', '2024-02-01', 26, 18.5, 4.5, '2024-02-02', 27],
    ]);
  });

  it('traffic_station_monthly: totals, busiest hour, weekday and weekend means', async () => {
    const hours = Array.from({ length: 24 }, (_, h) => `hour_${String(h).padStart(2, '0')}`);
    const header = `station_key,traffic_direction_seq,cardinal_direction_seq,classification_seq,date,year,month,day_of_week,public_holiday,school_holiday,daily_total,${hours.join(',')}`;
    // Friday 2024-03-01, Saturday 2024-03-02; two directions on Friday; the busiest hour is 8 on Friday, 17 overall.
    const line = (direction: number, date: string, peak: number, peakCount: number) => {
      const counts = hours.map((_, h) => (h === peak ? peakCount : 1));
      return `S1,${direction},1,1,${date},2024,3,5,false,false,${counts.reduce((a, b) => a + b, 0)},${counts.join(',')}`;
    };
    await ingest('traffic/hourly/a.csv', [header, line(1, '2024-03-01', 8, 100), line(2, '2024-03-01', 17, 90), line(1, '2024-03-02', 17, 50)].join('\n'));
    const friday = 123 + 113;
    const saturday = 73;
    expect(await rows('SELECT station_key, month, total_volume, mean_daily_volume, busiest_hour, weekday_mean_daily_volume, weekend_mean_daily_volume FROM traffic_station_monthly')).toEqual([
      ['S1', '2024-03-01', String(friday + saturday), (friday + saturday) / 2, 17, friday, saturday],
    ]);
  });

  it('lake_runs and lake_quarantine: per table and day, from the manifests', async () => {
    await ingest('sales/orders/s.csv', await readFile('samples/sales_orders.csv', 'utf8'));
    const today = new Date().toISOString().slice(0, 10);
    const runs = await rows(`SELECT table_name, run_date, files, rejected_files, rows_read, rows_written, rows_quarantined, last_success_at IS NOT NULL FROM lake_runs WHERE table_name = 'sales_orders'`);
    expect(runs).toEqual([['sales_orders', today, '1', '0', '3000', '2997', '3', true]]);
    expect(await rows(`SELECT rule, "rows" FROM lake_quarantine WHERE table_name = 'sales_orders' ORDER BY rule`)).toEqual([
      ['cast', '1'],
      ['not_null', '1'],
      ['unique', '1'],
    ]);
    expect(await rows(`SELECT table_name, files FROM lake_runs ORDER BY table_name`)).toEqual([
      ['sales_orders', '1'],
      ['traffic_hourly', '1'],
      ['weather_daily', '1'],
    ]);
  });
});
