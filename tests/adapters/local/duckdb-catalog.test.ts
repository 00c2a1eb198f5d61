import { runQuery, listTables } from '../../../src/adapters/local/duckdb-query.js';
import { registerPartitions } from '../../../src/pipeline/run/ingest.js';
import { processObject } from '../../../src/pipeline/run/run.js';
import { landRaw, salesContract, tempLake } from '../../support/local.js';

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
});
