import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { runQuery } from '../../src/adapters/local/duckdb-query.js';
import { EnvSecretStore } from '../../src/adapters/local/env-secret-store.js';
import { listSources, runExtract } from '../../src/cli/commands/extract.js';
import { startFakeApi, tfnswHandler, TFNSW_KEY, type FakeApi } from '../support/fake-apis.js';
import { tempLake } from '../support/local.js';

/** `glueless extract traffic_hourly --from … --to … --base-url <a server answering like TfNSW>`, end to end. */
describe('extract traffic_hourly (TfNSW CSV)', () => {
  let api: FakeApi;
  const data: { through?: string } = {};
  let local: Awaited<ReturnType<typeof tempLake>>;
  beforeAll(async () => {
    api = await startFakeApi(tfnswHandler(data));
  });
  afterAll(() => api.stop());
  beforeEach(async () => {
    local = await tempLake();
    api.requests.length = 0;
  });
  afterEach(() => local.cleanup());

  const context = async () => ({
    local,
    contracts: await loadContractDirectory('datasets'),
    secrets: new EnvSecretStore({ TFNSW_API_KEY: TFNSW_KEY }),
    now: () => Date.parse('2024-06-15T00:00:00Z'),
  });
  const options = (extra: object = {}) => ({ from: '2024-01', to: '2024-03', baseUrl: api.url, sources: 'sources', ...extra });

  it('lands one CSV per station and month, converts it, and makes no request when run again', async () => {
    const lines: string[] = [];
    const first = await runExtract('traffic_hourly', options(), await context(), (l) => lines.push(l));
    expect(first.results.map((r) => r.outcome)).toEqual(Array(9).fill('landed'));
    expect(api.requests).toHaveLength(9);
    expect(api.requests[0]!.headers.authorization).toBe(`apikey ${TFNSW_KEY}`);
    expect(api.requests[0]!.url.searchParams.get('q')).toContain("station_key = '4024' and date >= '2024-01-01' and date < '2024-02-01'");
    expect(first.results.map((r) => r.key)).toContain('traffic/hourly/year=2024/month=01/station_key=4024/traffic_hourly_4024_2024-01.csv');
    // 3 stations × 91 days × 2 directions × 2 classifications
    expect(first.rowsWritten).toBe(3 * 91 * 4);
    expect(first.rowsQuarantined).toBe(0);
    const result = await runQuery(
      local.catalog,
      "SELECT count(*), count(DISTINCT count_date), sum(hour_00 + hour_23), min(count_date)::VARCHAR FROM traffic_hourly WHERE station_key = '4024'",
    );
    expect(result.rows[0]!.map(String)).toEqual([String(91 * 4), '91', expect.any(String), '2024-01-01']);
    expect(lines.at(-1)).toMatch(/9 windows .*: 9 landed, .* 0 failed; 9 requests/);

    const again = await runExtract('traffic_hourly', options(), await context(), () => undefined);
    expect(again.results.map((r) => r.outcome)).toEqual(Array(9).fill('skipped'));
    expect(api.requests).toHaveLength(9);

    const listed = await listSources({ sources: 'sources' }, await context());
    expect(listed).toMatch(/traffic_hourly .*month.* 2024-03 .*9/);
  });

  it('fetches a window still open again, and replaces it only when the API has more', async () => {
    const ctx = { ...(await context()), now: () => Date.parse('2024-03-10T00:00:00Z') };
    data.through = '2024-03-05';
    const first = await runExtract('traffic_hourly', options({ from: undefined, to: undefined, date: '2024-03-05' }), ctx, () => undefined);
    expect(first.results.map((r) => r.outcome)).toEqual(['landed', 'landed', 'landed']);
    const same = await runExtract('traffic_hourly', options({ from: undefined, to: undefined, date: '2024-03' }), ctx, () => undefined);
    expect(same.results.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(api.requests).toHaveLength(6);
    // A month still open is asked for only up to now (10 March in Sydney).
    expect(api.requests[0]!.url.searchParams.get('q')).toContain("date >= '2024-03-01' and date < '2024-03-10'");
    data.through = '2024-03-09';
    const shorter = await runExtract('traffic_hourly', options({ from: undefined, to: undefined, date: '2024-03' }), ctx, () => undefined);
    expect(shorter.results.map((r) => r.outcome)).toEqual(['replaced', 'replaced', 'replaced']);
    // The transform replaced the object's outputs: the table holds what the latest answer held, once.
    const days = await runQuery(local.catalog, "SELECT count(*), max(count_date)::VARCHAR FROM traffic_hourly WHERE station_key = '4026'");
    expect(days.rows[0]!.map(String)).toEqual([String(9 * 4), '2024-03-09']);
    data.through = undefined;
  });
});
