import { runQuery, listTables } from '../../../src/adapters/local/duckdb-query.js';
import { registerPartitions } from '../../../src/pipeline/run/ingest.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { refreshAfterRuns } from '../../../src/cli/commands/models.js';
import { contractFrom, landRaw, salesContract, tempLake } from '../../support/local.js';

const HEADER = 'order_id,customer_id,product,quantity,price,order_date,notes';

describe('DuckDbCatalog', () => {
  it('shows only registered partitions, as Athena does', async () => {
    const local = await tempLake();
    try {
      const contract = await salesContract();
      await landRaw(local, 'sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2024-03-01,\n2,C2,Desk,1,5.50,2024-03-02,x\n`);
      const manifest = await processObject('sales/orders/a.csv', contract, local.lake);

      await local.catalog.ensureTable(contract, local.lake.processed.locationOf('tables/sales_orders/'));
      const empty = await runQuery(local.catalog, 'SELECT count(*) AS n FROM sales_orders');
      expect(empty.rows).toEqual([['0']]);

      await local.catalog.addPartitions(contract, [
        { values: [{ name: 'order_date', value: '2024-03-01' }], location: local.lake.processed.locationOf('tables/sales_orders/order_date=2024-03-01/') },
      ]);
      const one = await runQuery(local.catalog, 'SELECT order_id, total_amount, order_date FROM sales_orders');
      expect(one.rows).toEqual([['1', '20.00', '2024-03-01']]);

      await registerPartitions(contract, manifest, local);
      await registerPartitions(contract, manifest, local); // IF NOT EXISTS: a second registration changes nothing
      expect(await listTables(local.catalog)).toEqual([{ table: 'sales_orders', partitions: 2, rows: 2 }]);
      const types = await runQuery(local.catalog, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'sales_orders' ORDER BY ordinal_position");
      expect(types.rows).toEqual([
        ['order_id', 'BIGINT'],
        ['customer_id', 'VARCHAR'],
        ['product', 'VARCHAR'],
        ['quantity', 'INTEGER'],
        ['price', 'DECIMAL(10,2)'],
        ['notes', 'VARCHAR'],
        ['total_amount', 'DECIMAL(18,2)'],
        ['_source_key', 'VARCHAR'],
        ['_ingested_at', 'TIMESTAMP'],
        ['order_date', 'DATE'],
      ]);
    } finally {
      await local.cleanup();
    }
  });

  const daily = (layout: string) =>
    contractFrom(`
name: readings
source: { prefix: readings/ }
columns:
  - { name: id, type: int, required: true }
  - { name: taken_on, type: date, required: true }
primary_key: [id]
partition_by: { column: taken_on, layout: ${layout} }
`);
  const days = (count: number) =>
    ['id,taken_on', ...Array.from({ length: count }, (_, i) => `${i + 1},${new Date(Date.UTC(2001, 0, 1 + i)).toISOString().slice(0, 10)}`)].join('\n');

  it.each(['date', 'year_month_day'])(
    'registers a run\'s %s partitions at once and reads them through one pattern over the root',
    async (layout) => {
      const local = await tempLake();
      try {
        const contract = daily(layout);
        await landRaw(local, 'readings/a.csv', days(400));
        const result = await ingestObject('readings/a.csv', { ...local, contracts: [contract] });
        expect(result.status).toBe('processed');
        const { rows } = await runQuery(local.catalog, 'SELECT count(*), count(DISTINCT taken_on), max(id) FROM readings');
        expect(rows).toEqual([['400', '400', 400]]);
        const registered = await runQuery(local.catalog, "SELECT count(*) FROM glueless_partitions WHERE table_name = 'readings'");
        expect(registered.rows).toEqual([['400']]);
        const view = await runQuery(local.catalog, "SELECT sql FROM duckdb_views() WHERE view_name = 'readings'");
        const sql = String(view.rows[0]![0]);
        expect(sql.match(/\.parquet/g)).toHaveLength(1);
        expect(sql).not.toContain('union_by_name');
        const oneDay = await runQuery(local.catalog, "SELECT id FROM readings WHERE taken_on = DATE '2001-02-01'");
        expect(oneDay.rows).toEqual([[32]]);
      } finally {
        await local.cleanup();
      }
    },
  );

  it('keeps files in a partition nobody registered invisible, also when they appear after the view was made', async () => {
    const local = await tempLake();
    try {
      const contract = daily('date');
      await landRaw(local, 'readings/a.csv', days(3));
      await ingestObject('readings/a.csv', { ...local, contracts: [contract] });
      expect((await runQuery(local.catalog, 'SELECT count(*) FROM readings')).rows).toEqual([['3']]);
      // Files beside the partitions, at the table's root (a note, a Parquet file copied there by hand): not partitions,
      // and the view still reads the root through one pattern.
      const root = local.lake.processed.locationOf('tables/readings/');
      await writeFile(path.join(root, 'README.txt'), 'copied by hand');
      await copyFile(path.join(root, 'taken_on=2001-01-01', (await readdir(path.join(root, 'taken_on=2001-01-01')))[0]!), path.join(root, 'loose.parquet'));
      expect((await runQuery(local.catalog, 'SELECT count(*) FROM readings')).rows).toEqual([['3']]);
      const view = String((await runQuery(local.catalog, "SELECT sql FROM duckdb_views() WHERE view_name = 'readings'")).rows[0]![0]);
      expect(view.match(/\.parquet/g)).toHaveLength(1);
      // Converted but never registered (as when a run dies between writing and registering).
      await landRaw(local, 'readings/b.csv', 'id,taken_on\n10,2010-05-05\n11,2001-01-02\n');
      await processObject('readings/b.csv', contract, local.lake);
      expect((await runQuery(local.catalog, 'SELECT id FROM readings ORDER BY id')).rows).toEqual([[1], [2], [3], [11]]);
      await registerPartitions(contract, await processObject('readings/b.csv', contract, local.lake), local);
      expect((await runQuery(local.catalog, 'SELECT id FROM readings ORDER BY id')).rows).toEqual([[1], [2], [3], [10], [11]]);
    } finally {
      await local.cleanup();
    }
  });

  it('rebuilds a view only when the lake changed', async () => {
    const local = await tempLake();
    try {
      const contract = daily('date');
      await landRaw(local, 'readings/a.csv', days(3));
      await ingestObject('readings/a.csv', { ...local, contracts: [contract] });
      expect((await runQuery(local.catalog, 'SELECT count(*) FROM readings')).rows).toEqual([['3']]);
      // A view replaced behind the catalog's back survives queries while nothing changed…
      await local.catalog.withConnection((c) => c.run('CREATE OR REPLACE VIEW readings AS SELECT 42 AS id'));
      expect((await runQuery(local.catalog, 'SELECT * FROM readings')).rows).toEqual([[42]]);
      // …and a new partition under the table's root changes nothing in it (one pattern over the root reads it): the
      // view is not made again (over many partitions that costs DuckDB a listing of them all).
      await landRaw(local, 'readings/b.csv', 'id,taken_on\n10,2010-05-05\n');
      await ingestObject('readings/b.csv', { ...local, contracts: [contract] });
      expect((await runQuery(local.catalog, 'SELECT * FROM readings')).rows).toEqual([[42]]);
      // It is made again when what it reads changes: every file gone (the only source re-sent with nothing valid in
      // it) is an empty table, not an error.
      await landRaw(local, 'readings/a.csv', 'no,such,columns\n1,2,3\n');
      await landRaw(local, 'readings/b.csv', 'no,such,columns\n1,2,3\n');
      expect((await ingestObject('readings/a.csv', { ...local, contracts: [contract] })).status).toBe('rejected');
      expect((await ingestObject('readings/b.csv', { ...local, contracts: [contract] })).status).toBe('rejected');
      expect((await runQuery(local.catalog, 'SELECT count(*) FROM readings')).rows).toEqual([['0']]);
    } finally {
      await local.cleanup();
    }
  });

  it('records each partition at the location it was given, under the table or elsewhere', async () => {
    const local = await tempLake();
    try {
      const contract = await salesContract();
      await local.catalog.ensureTable(contract, local.lake.processed.locationOf('tables/sales_orders/'));
      const at = (day: string, key = `tables/sales_orders/order_date=${day}/`) => ({
        values: [{ name: 'order_date', value: day }],
        location: local.lake.processed.locationOf(key),
      });
      const stored = async () =>
        (await runQuery(local.catalog, "SELECT spec, location FROM glueless_partitions WHERE table_name = 'sales_orders' ORDER BY spec")).rows;
      // All under the table: sent as specs and one prefix.
      await local.catalog.addPartitions(contract, [at('2024-03-01'), at('2024-03-02')]);
      // One elsewhere (a partition added by hand in another place): every location sent as it is.
      await local.catalog.addPartitions(contract, [at('2024-03-03'), at('2024-03-04', 'moved/2024-03-04/')]);
      expect(await stored()).toEqual(
        ['2024-03-01', '2024-03-02', '2024-03-03'].map((day) => [`order_date=${day}`, local.lake.processed.locationOf(`tables/sales_orders/order_date=${day}/`)]).concat([
          ['order_date=2024-03-04', local.lake.processed.locationOf('moved/2024-03-04/')],
        ]),
      );
    } finally {
      await local.cleanup();
    }
  });

  it.each([
    ['a catalog of this version', false],
    ['a catalog made when partitions had a primary key', true],
  ])('registers a partition once and keeps its first location, and refreshes gold models, on %s', async (_, withKey) => {
    const local = await tempLake();
    try {
      if (withKey) {
        const instance = await DuckDBInstance.create(local.catalog.databasePath);
        const connection = await instance.connect();
        await connection.run(
          'CREATE TABLE glueless_partitions (table_name VARCHAR NOT NULL, spec VARCHAR NOT NULL, location VARCHAR NOT NULL, PRIMARY KEY (table_name, spec))',
        );
        connection.closeSync();
        instance.closeSync();
      }
      const contract = await salesContract();
      const at = (day: string, key = `tables/sales_orders/order_date=${day}/`) => ({
        values: [{ name: 'order_date', value: day }],
        location: local.lake.processed.locationOf(key),
      });
      await local.catalog.ensureTable(contract, local.lake.processed.locationOf('tables/sales_orders/'));
      await local.catalog.addPartitions(contract, [at('2024-03-01'), at('2024-03-02')]);
      await local.catalog.addPartitions(contract, [at('2024-03-02', 'moved/2024-03-02/'), at('2024-03-03')]);
      await local.catalog.addPartitions(contract, [at('2024-03-01'), at('2024-03-03')]);
      const stored = await runQuery(local.catalog, "SELECT spec, location FROM glueless_partitions WHERE table_name = 'sales_orders' ORDER BY spec");
      expect(stored.rows).toEqual(['2024-03-01', '2024-03-02', '2024-03-03'].map((day) => [`order_date=${day}`, at(day).location]));

      // A gold model's partitions are replaced on each refresh (the year 2024's twice here).
      const contracts = [contract];
      for (const [key, csv] of [
        ['sales/orders/a.csv', `${HEADER}\n1,C1,Lamp,2,10.00,2024-03-01,\n`],
        ['sales/orders/b.csv', `${HEADER}\n2,C2,Desk,1,100.00,2024-03-02,\n`],
      ] as const) {
        await landRaw(local, key, csv);
        const result = await ingestObject(key, { ...local, contracts });
        if (result.status !== 'processed') throw new Error(`not processed: ${JSON.stringify(result)}`);
        await refreshAfterRuns({ local, contracts }, 'models', [{ contract, manifest: result.manifest }], () => undefined);
      }
      expect((await runQuery(local.catalog, 'SELECT order_date, revenue FROM daily_revenue ORDER BY order_date')).rows).toEqual([
        ['2024-03-01', '20.00'],
        ['2024-03-02', '100.00'],
      ]);
      const modelPartitions = await runQuery(local.catalog, "SELECT spec, count(*) FROM glueless_partitions WHERE table_name = 'daily_revenue' GROUP BY spec");
      expect(modelPartitions.rows).toEqual([['partition_year=2024', '1']]);
    } finally {
      await local.cleanup();
    }
  });
});
