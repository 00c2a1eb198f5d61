import { readFile } from 'node:fs/promises';
import { parseContract } from '../../../src/pipeline/schema/parse-contract.js';
import { ContractError } from '../../../src/pipeline/contract/errors.js';

const base = `
name: orders
source: { prefix: sales/orders/ }
columns:
  - { name: order_id, type: bigint, required: true }
  - { name: quantity, type: int, required: true }
  - { name: price, type: "decimal(10,2)", required: true }
  - { name: order_date, type: date, required: true }
primary_key: [order_id]
derived:
  - { name: total_amount, type: "decimal(18,2)", expr: quantity * price }
partition_by: { column: order_date }
`;

function errorOf(yaml: string): string {
  try {
    parseContract(yaml, 'datasets/bad.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    return (error as Error).message;
  }
  throw new Error('expected a ContractError');
}

describe('dataset contracts', () => {
  it('suggests the key a misspelt one was meant to be, and says a delimiter is one character', () => {
    expect(errorOf(base.replace('quantity, type: int, required: true', 'quantity, type: int, requried: true'))).toBe(
      'datasets/bad.yaml: columns[1]: Unrecognized key: "requried" (did you mean "required"?)',
    );
    expect(errorOf(base.replace('primary_key:', 'primary_kee:'))).toMatch(/\(top level\): .*"primary_kee" \(did you mean "primary_key"\?\)$/);
    expect(errorOf(base.replace('partition_by: { column: order_date }', 'partition_by: { column: order_date, zzzzzzz: 1 }'))).not.toMatch(/did you mean/);
    expect(errorOf(base.replace('prefix: sales/orders/ }', 'prefix: sales/orders/, delimiter: ";;" }'))).toBe(
      'datasets/bad.yaml: source.delimiter: must be one character, e.g. "," ";" "\\t" "|"',
    );
  });

  it('loads the sales orders sample contract', async () => {
    const contract = parseContract(await readFile('datasets/sales_orders.yaml', 'utf8'), 'datasets/sales_orders.yaml');
    expect(contract.name).toBe('sales_orders');
    expect(contract.prefix).toBe('sales/orders/');
    expect(contract.columns.find((c) => c.name === 'price')?.type).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(contract.derived[0]?.name).toBe('total_amount');
    expect(contract.partition).toEqual({ column: 'order_date', layout: 'date', byIngestDate: false });
    expect(contract.rowGroupSize).toBe(20000);
  });

  it('names the file and field of an unknown type', () => {
    expect(errorOf(base.replace('type: int', 'type: integer'))).toMatch(
      /^datasets\/bad\.yaml: columns\[1\]\.type: unknown type "integer"/,
    );
  });

  it('rejects a column name that is not snake_case', () => {
    expect(errorOf(base.replace('name: quantity', 'name: Quantity'))).toMatch(/columns\[1\]\.name: must be lowercase snake_case/);
  });

  it('rejects unknown keys instead of ignoring typos', () => {
    expect(errorOf(base.replace('required: true }', 'requird: true }'))).toMatch(/columns\[0\]/);
  });

  it('rejects a primary key or partition column that is not declared', () => {
    expect(errorOf(base.replace('primary_key: [order_id]', 'primary_key: [id]'))).toMatch(/primary_key\[0\]: "id" is not a declared column/);
    expect(errorOf(base.replace('column: order_date }', 'column: shipped }'))).toMatch(/partition_by\.column/);
  });

  it('rejects a derived expression over unknown columns or bad syntax', () => {
    expect(errorOf(base.replace('quantity * price', 'quantity * cost'))).toMatch(/derived\[0\]\.expr: unknown column "cost"/);
    expect(errorOf(base.replace('quantity * price', 'quantity * ;'))).toMatch(/derived\[0\]\.expr/);
  });

  it('rejects a prefix that escapes or lacks its trailing slash', () => {
    expect(errorOf(base.replace('sales/orders/', 'sales/orders'))).toMatch(/source\.prefix/);
    expect(errorOf(base.replace('sales/orders/', 'sales/../x/'))).toMatch(/source\.prefix/);
  });

  it('refuses a column a year/month/day partition key would shadow', () => {
    const withYear = base.replace('partition_by: { column: order_date }', 'partition_by: { column: order_date, layout: year_month }').replace(
      '  - { name: order_date, type: date, required: true }',
      '  - { name: order_date, type: date, required: true }\n  - { name: month, type: int }',
    );
    expect(errorOf(withYear)).toMatch(/partition_by\.layout: layout year_month adds the partition key "month", which is also a column/);
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(errorOf('name: [unclosed')).toMatch(/^datasets\/bad\.yaml: not valid YAML/);
  });
});
