import { runQuery } from '../../../src/adapters/local/duckdb-query.js';
import { addColumnsStatement } from '../../../src/pipeline/schema/ddl.js';
import { ContractError } from '../../../src/pipeline/contract/errors.js';
import { ingestObject } from '../../../src/pipeline/run/ingest.js';
import { planSchemaChange, tableSchemaOf } from '../../../src/pipeline/schema/schema-change.js';
import { contractFrom, landRaw, tempLake } from '../../support/local.js';

const contract = (extraColumns = '', amountType = 'decimal(10,2)') =>
  contractFrom(`
name: payments
source: { prefix: payments/ }
columns:
  - { name: id, type: int, required: true }
  - { name: amount, type: "${amountType}", required: true }
  - { name: paid_on, type: date, required: true }
${extraColumns}
partition_by: { column: paid_on }
`);

describe('schema evolution', () => {
  const v1 = contract();
  const v2 = contract('  - { name: channel, type: string }');

  it('plans a new nullable column as an addition', () => {
    expect(planSchemaChange(undefined, v1)).toEqual([]);
    expect(planSchemaChange(tableSchemaOf(v1), v1)).toEqual([]);
    expect(planSchemaChange(tableSchemaOf(v1), v2).map((c) => c.name)).toEqual(['channel']);
    expect(addColumnsStatement(v2, [{ name: 'channel', type: { kind: 'string' } }], 'lake')).toBe(
      'ALTER TABLE `lake`.`payments` ADD COLUMNS (`channel` string)',
    );
  });

  it.each([
    ['a type change', contract('', 'double'), /changes column amount from decimal\(10,2\) to double.*Athena cannot change the type of a Parquet column/],
    ['a dropped column', contractFrom(`
name: payments
source: { prefix: payments/ }
columns:
  - { name: id, type: int, required: true }
  - { name: paid_on, type: date, required: true }
partition_by: { column: paid_on }
`), /drops column amount/],
    ['a new required column', contract('  - { name: channel, type: string, required: true }'), /adds required column channel.*add it as nullable/],
    ['a new partition layout', contractFrom(`
name: payments
source: { prefix: payments/ }
columns:
  - { name: id, type: int, required: true }
  - { name: amount, type: "decimal(10,2)", required: true }
  - { name: paid_on, type: date, required: true }
partition_by: { column: paid_on, layout: year_month }
`), /changes the partition keys/],
  ])('refuses %s with the reason', (_name, next, message) => {
    expect(() => planSchemaChange(tableSchemaOf(v1), next)).toThrow(ContractError);
    expect(() => planSchemaChange(tableSchemaOf(v1), next)).toThrow(message);
  });

  it('adding a nullable column evolves the local table: old rows read null, new rows their values', async () => {
    const local = await tempLake();
    try {
      await landRaw(local, 'payments/a.csv', 'id,amount,paid_on\n1,10.00,2024-01-01\n');
      await ingestObject('payments/a.csv', { ...local, contracts: [v1] });
      await landRaw(local, 'payments/b.csv', 'id,amount,paid_on,channel\n2,20.00,2024-01-02,web\n');
      const evolved = await ingestObject('payments/b.csv', { ...local, contracts: [v2] });
      expect(evolved.status).toBe('processed');
      const rows = await runQuery(local.catalog, 'SELECT id, channel FROM payments ORDER BY id');
      expect(rows.rows).toEqual([
        [1, null],
        [2, 'web'],
      ]);

      await landRaw(local, 'payments/c.csv', 'id,amount,paid_on\n3,1.5,2024-01-03\n');
      await expect(ingestObject('payments/c.csv', { ...local, contracts: [contract('  - { name: channel, type: string }', 'double')] })).rejects.toThrow(
        /changes column amount from decimal\(10,2\) to double/,
      );
      expect((await local.lake.processed.list('tables/payments/paid_on=2024-01-03/'))).toEqual([]);
    } finally {
      await local.cleanup();
    }
  });
});
