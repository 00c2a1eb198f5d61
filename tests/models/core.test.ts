import { buildGraph, downstreamOf, runnableGraph } from '../../src/models/graph.js';
import { parseHeader } from '../../src/models/header.js';
import { parseModel } from '../../src/models/load.js';
import { partitionInterval, periodsOf } from '../../src/models/periods.js';
import { changeOfRun, periodsToRefresh, refreshModels } from '../../src/models/refresh.js';
import type { ModelEngine, RefreshRecord } from '../../src/models/ports.js';
import type { ModelDefinition } from '../../src/models/model.js';
import { contractFrom } from '../support/local.js';

const model = (name: string, header: string, sql: string) => parseModel(`models/${name}.sql`, `${header}\n${sql}`);

describe('model header', () => {
  it('reads materialization, partitioning and refresh mapping', () => {
    expect(parseHeader('-- a model\n-- materialized: table\n-- partition_by: d\n-- granularity: month\n-- refresh: this_and_later\nSELECT 1', 'm.sql')).toEqual({
      materialized: 'table',
      partition: { column: 'd', granularity: 'month' },
      refresh: 'this_and_later',
      description: undefined,
    });
  });

  it('names the file and line of a bad header', () => {
    expect(() => parseHeader('-- materialized: tabel\nSELECT 1', 'models/m.sql')).toThrow('models/m.sql:1: materialized "tabel" is not one of view, table');
    expect(() => parseHeader('SELECT 1', 'models/m.sql')).toThrow('models/m.sql: header lacks "-- materialized: …"');
    expect(() => parseHeader('-- materialized: view\n-- partition_by: d\nSELECT 1', 'models/m.sql')).toThrow('a view has no partitions');
  });
});

describe('model graph', () => {
  const a = model('a', '-- materialized: view', 'SELECT * FROM orders_current');
  const b = model('b', '-- materialized: table\n-- partition_by: d', 'SELECT d FROM a');
  const c = model('c', '-- materialized: table', 'SELECT count(*) AS n FROM b JOIN weather ON true');

  it('orders models after what they read, from the SQL references', () => {
    const graph = buildGraph([c, b, a], new Set(['orders', 'weather']));
    expect(graph.order.map((m) => m.name)).toEqual(['a', 'b', 'c']);
    expect(graph.upstream.get('a')).toEqual(['orders']);
    expect(downstreamOf(graph, ['orders']).map((m) => m.name)).toEqual(['a', 'b', 'c']);
    expect(downstreamOf(graph, ['weather']).map((m) => m.name)).toEqual(['c']);
    expect(runnableGraph(graph, new Set(['orders'])).order.map((m) => m.name)).toEqual(['a', 'b']);
  });

  it('reads `<table>_current` as its table, and refuses circles', () => {
    expect(buildGraph([a], new Set()).upstream.get('a')).toEqual(['orders']);
    const x = model('x', '-- materialized: view', 'SELECT * FROM y');
    const y = model('y', '-- materialized: view', 'SELECT * FROM x');
    expect(() => buildGraph([x, y], new Set())).toThrow('models read each other in a circle: x → y → x');
  });
});

describe('refresh planning', () => {
  const sameKey = model('m', '-- materialized: table\n-- partition_by: d\n-- granularity: month', 'SELECT d FROM t');
  const window = model('w', '-- materialized: table\n-- partition_by: d\n-- granularity: year\n-- refresh: this_and_later', 'SELECT d FROM t');

  it('maps table partitions to the dates they hold', () => {
    expect(partitionInterval([{ name: 'd', value: '2024-02-29' }], 'd')).toEqual({ from: '2024-02-29', to: '2024-03-01' });
    expect(partitionInterval([{ name: 'year', value: '2024' }, { name: 'month', value: '12' }], undefined)).toEqual({ from: '2024-12-01', to: '2025-01-01' });
    expect(periodsOf({ from: '2023-11-15', to: '2024-02-01' }, 'month')).toEqual(['2023-11', '2023-12', '2024-01']);
    const contract = contractFrom('name: t\nsource: { prefix: t/ }\ncolumns: [{ name: d, type: date, required: true }]\npartition_by: { column: d, layout: year_month }\n');
    expect(changeOfRun(contract, { partitions: ['year=2024/month=03/'] })).toEqual({ all: false, intervals: [{ from: '2024-03-01', to: '2024-04-01' }] });
  });

  it('rewrites the same periods for same_key, and every later one for this_and_later', () => {
    const change = { all: false as const, intervals: [{ from: '2023-05-02', to: '2023-05-03' }] };
    expect(periodsToRefresh(sameKey, change, ['2023-04', '2023-05', '2023-06'], async () => [])).toEqual(['2023-05']);
    expect(periodsToRefresh(window, change, ['2022', '2023', '2024', '2025'], async () => [])).toEqual(['2023', '2024', '2025']);
  });

  it('hands each refreshed model’s periods on downstream, through views', async () => {
    const base = model('base', '-- materialized: table\n-- partition_by: d\n-- granularity: month', 'SELECT d FROM t');
    const view = model('v', '-- materialized: view', 'SELECT d FROM base');
    const top = model('top', '-- materialized: table\n-- partition_by: d\n-- granularity: year', 'SELECT d FROM v');
    const graph = buildGraph([base, view, top], new Set(['t']));
    const written: string[] = [];
    const engine = recordingEngine(written);
    const refreshed = await refreshModels(engine, graph, new Map([['t', { all: false, intervals: [{ from: '2024-03-05', to: '2024-03-06' }] }]]));
    expect(refreshed.map((r) => [r.model, r.partitions])).toEqual([['base', ['2024-03']], ['v', []], ['top', ['2024']]]);
    expect(written).toEqual(['base 2024-03', 'view v', 'top 2024']);
  });
});

/** An engine that records what it was asked to do; the local and Athena engines are tested for real elsewhere. */
function recordingEngine(written: string[]): ModelEngine {
  const records: RefreshRecord[] = [];
  return {
    createView: async (m: ModelDefinition) => void written.push(`view ${m.name}`),
    partitions: async () => [],
    periodsInResult: async () => [],
    materialize: async (m: ModelDefinition, periods: string[] | undefined) => (periods ?? [undefined]).reduce((rows, period) => (written.push(`${m.name} ${period}`), rows + 1), 0),
    serialized: (_name, work) => work(),
    recordRefresh: async (r) => void records.push(r),
    refreshRecords: async () => records,
  };
}
