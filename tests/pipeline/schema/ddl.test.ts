import { parseContract } from '../../../src/pipeline/schema/parse-contract.js';
import { addPartitionStatements, createTableStatement, setTablePropertiesStatement } from '../../../src/pipeline/schema/ddl.js';
import { UnsafeValueError } from '../../../src/pipeline/contract/errors.js';
import type { PartitionRef } from '../../../src/pipeline/contract/ports.js';

const ordersYaml = `
name: sales_orders
source:
  prefix: sales/orders/
columns:
  - { name: order_id, type: bigint, required: true }
  - { name: order_date, type: date, required: true }
  - { name: amount, type: "decimal(12,2)" }
  - { name: quantity, type: int }
derived:
  - { name: line_total, type: "decimal(18,2)", expr: amount * quantity }
primary_key: [order_id]
partition_by: { column: order_date, layout: date }
`;

const eventsYaml = `
name: click_events
source:
  prefix: web/clicks/
columns:
  - { name: event_id, type: string, required: true }
  - { name: happened_at, type: timestamp, required: true }
partition_by: { column: happened_at, layout: year_month_day }
`;

const orders = parseContract(ordersYaml, 'orders.yaml');
const events = parseContract(eventsYaml, 'events.yaml');
const HOSTILE = "x'); DROP TABLE t; --";

function datePartition(date: string): PartitionRef {
  return {
    values: [{ name: 'order_date', value: date }],
    location: `s3://lake-processed/tables/sales_orders/order_date=${date}/`,
  };
}

function attempt(build: () => string[]): { statements?: string[]; error?: Error } {
  try {
    return { statements: build() };
  } catch (error) {
    return { error: error as Error };
  }
}

describe('createTableStatement', () => {
  it('declares file columns, partition keys, Parquet storage and location', () => {
    expect(createTableStatement(orders, 's3://lake-processed/tables/sales_orders/', 'lake')).toBe(
      [
        'CREATE EXTERNAL TABLE IF NOT EXISTS `lake`.`sales_orders` (',
        '  `order_id` bigint,',
        '  `amount` decimal(12,2),',
        '  `quantity` int,',
        '  `line_total` decimal(18,2),',
        '  `_source_key` string,',
        '  `_ingested_at` timestamp',
        ')',
        'PARTITIONED BY (',
        '  `order_date` date',
        ')',
        'STORED AS PARQUET',
        "LOCATION 's3://lake-processed/tables/sales_orders/'",
        "TBLPROPERTIES ('parquet.compression'='SNAPPY')",
      ].join('\n'),
    );
  });

  it('keeps a timestamp partition column in the files and partitions by year/month/day strings', () => {
    const ddl = createTableStatement(events, '/lake/tables/click_events/');
    expect(ddl).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS `click_events` (');
    expect(ddl).toContain('  `event_id` string,\n  `happened_at` timestamp,\n  `_source_key` string,\n  `_ingested_at` timestamp\n)');
    expect(ddl).toContain('PARTITIONED BY (\n  `year` string,\n  `month` string,\n  `day` string\n)');
  });

  it('partitions an hourly layout by year/month/day/hour strings', () => {
    const hourly = parseContract(`
name: clicks
source: { prefix: clicks/, format: jsonl }
columns: [{ name: event_id, type: string }, { name: context, type: json }]
partition_by: { column: ingest_time, layout: year_month_day_hour }
`, 'clicks.yaml');
    const ddl = createTableStatement(hourly, 's3://lake-processed/tables/clicks/');
    expect(ddl).toContain('  `event_id` string,\n  `context` string,\n  `_source_key` string,\n  `_ingested_at` timestamp\n)');
    expect(ddl).toContain('PARTITIONED BY (\n  `year` string,\n  `month` string,\n  `day` string,\n  `hour` string\n)');
  });

  it.each([
    "s3://bucket/tables/x'; DROP TABLE t; --/",
    's3://bucket/tables/x\\/',
    's3://bucket/tables/x\n/',
    's3://Bad_Bucket/tables/x/',
    'relative/path/',
  ])('rejects the unsafe location %j', (location) => {
    expect(() => createTableStatement(orders, location)).toThrow(UnsafeValueError);
  });

  it('rejects an unsafe database name', () => {
    expect(() => createTableStatement(orders, 's3://b/t/', 'lake`; DROP')).toThrow(UnsafeValueError);
  });
});

describe('addPartitionStatements', () => {
  it('registers partitions in one statement when they fit', () => {
    const statements = addPartitionStatements(orders, [datePartition('2024-01-01'), datePartition('2024-01-02')], 'lake');
    expect(statements).toEqual([
      'ALTER TABLE `lake`.`sales_orders` ADD IF NOT EXISTS' +
        " PARTITION (`order_date` = '2024-01-01') LOCATION 's3://lake-processed/tables/sales_orders/order_date=2024-01-01/'" +
        " PARTITION (`order_date` = '2024-01-02') LOCATION 's3://lake-processed/tables/sales_orders/order_date=2024-01-02/'",
    ]);
  });

  it('writes every year/month/day key as a quoted string', () => {
    const [statement] = addPartitionStatements(events, [
      {
        values: [
          { name: 'year', value: '2024' },
          { name: 'month', value: '02' },
          { name: 'day', value: '29' },
        ],
        location: '/lake/tables/click_events/year=2024/month=02/day=29/',
      },
    ]);
    expect(statement).toBe(
      "ALTER TABLE `click_events` ADD IF NOT EXISTS PARTITION (`year` = '2024', `month` = '02', `day` = '29')" +
        " LOCATION '/lake/tables/click_events/year=2024/month=02/day=29/'",
    );
  });

  it('returns no statement for no partitions', () => {
    expect(addPartitionStatements(orders, [])).toEqual([]);
  });

  it('splits at the byte limit, keeping every partition exactly once', () => {
    const partitions: PartitionRef[] = [];
    for (let day = 0; day < 3000; day++) {
      partitions.push(datePartition(new Date(Date.UTC(2000, 0, 1 + day)).toISOString().slice(0, 10)));
    }
    // A multi-byte location proves the limit counts UTF-8 bytes, not characters.
    partitions.push({ values: [{ name: 'order_date', value: '2099-12-31' }], location: 's3://lake/tables/é€😀/' });
    const maxBytes = 16_384;
    const statements = addPartitionStatements(orders, partitions, 'lake', maxBytes);

    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      expect(Buffer.byteLength(statement, 'utf8')).toBeLessThanOrEqual(maxBytes);
      expect(statement.startsWith('ALTER TABLE `lake`.`sales_orders` ADD IF NOT EXISTS PARTITION (')).toBe(true);
    }
    const registered = statements.flatMap((s) => [...s.matchAll(/`order_date` = '([^']+)'/g)].map((m) => m[1]));
    expect(registered).toEqual(partitions.map((p) => p.values[0]!.value));
  });

  it('fills each statement as far as the limit allows', () => {
    const partitions = ['2024-01-01', '2024-01-02', '2024-01-03'].map(datePartition);
    const one = addPartitionStatements(orders, partitions.slice(0, 1))[0]!;
    const two = addPartitionStatements(orders, partitions.slice(0, 2))[0]!;
    expect(addPartitionStatements(orders, partitions, undefined, Buffer.byteLength(two))).toHaveLength(2);
    expect(addPartitionStatements(orders, partitions, undefined, Buffer.byteLength(two) - 1)).toHaveLength(3);
    expect(() => addPartitionStatements(orders, partitions, undefined, Buffer.byteLength(one) - 1)).toThrow(
      UnsafeValueError,
    );
  });

  it('rejects a hostile value in a date key, naming table, key and value, and builds nothing', () => {
    const hostile = { ...datePartition('2024-01-02'), values: [{ name: 'order_date', value: HOSTILE }] };
    const { statements, error } = attempt(() => addPartitionStatements(orders, [datePartition('2024-01-01'), hostile]));
    expect(statements).toBeUndefined();
    expect(error).toBeInstanceOf(UnsafeValueError);
    expect(error?.message).toContain('sales_orders');
    expect(error?.message).toContain('order_date');
    expect(error?.message).toContain(HOSTILE);
  });

  it.each(['year', 'month', 'day'])('rejects a hostile value in the %s key and builds nothing', (key) => {
    const values = [
      { name: 'year', value: '2024' },
      { name: 'month', value: '01' },
      { name: 'day', value: '05' },
    ].map((v) => (v.name === key ? { ...v, value: HOSTILE } : v));
    const { statements, error } = attempt(() =>
      addPartitionStatements(events, [{ values, location: 's3://lake/tables/click_events/x/' }]),
    );
    expect(statements).toBeUndefined();
    expect(error).toBeInstanceOf(UnsafeValueError);
    expect(error?.message).toContain('click_events');
    expect(error?.message).toContain(`key ${key}`);
    expect(error?.message).toContain(HOSTILE);
  });

  it('rejects values for the wrong keys, or in the wrong order', () => {
    const location = 's3://lake/tables/click_events/x/';
    const swapped = [
      { name: 'month', value: '01' },
      { name: 'year', value: '2024' },
      { name: 'day', value: '05' },
    ];
    expect(() => addPartitionStatements(events, [{ values: swapped, location }])).toThrow(UnsafeValueError);
    expect(() => addPartitionStatements(events, [{ values: swapped.slice(0, 2), location }])).toThrow(
      UnsafeValueError,
    );
  });

  it('rejects a partition location that could close the string literal', () => {
    const partition = { ...datePartition('2024-01-01'), location: "s3://lake/t/x') DROP TABLE t; --/" };
    expect(() => addPartitionStatements(orders, [partition])).toThrow(UnsafeValueError);
  });
});

describe('partition projection (partition_by.projection)', () => {
  const projected = (yaml: string, projection: string) => parseContract(yaml.replace(/partition_by: \{ (.*) \}/, `partition_by: { $1, projection: ${projection} }`), 'p.yaml');

  it('gives a date key a date range, a day interval and the location template', () => {
    const ddl = createTableStatement(projected(ordersYaml, '{ from: 2020-01-01 }'), 's3://lake-processed/tables/sales_orders/', 'lake');
    expect(ddl.slice(ddl.indexOf('TBLPROPERTIES'))).toBe(
      [
        "TBLPROPERTIES ('parquet.compression'='SNAPPY',",
        "  'projection.enabled'='true',",
        "  'projection.order_date.type'='date',",
        "  'projection.order_date.format'='yyyy-MM-dd',",
        "  'projection.order_date.range'='2020-01-01,NOW',",
        "  'projection.order_date.interval'='1',",
        "  'projection.order_date.interval.unit'='DAYS',",
        "  'storage.location.template'='s3://lake-processed/tables/sales_orders/order_date=${order_date}/')",
      ].join('\n'),
    );
  });

  it('gives year/month/day keys integer ranges with two-digit months and days', () => {
    const contract = projected(eventsYaml, '{ from: 2019-06-01, to: 2030-12-31 }');
    expect(setTablePropertiesStatement(contract, 's3://lake-processed/tables/click_events/', 'lake')).toBe(
      "ALTER TABLE `lake`.`click_events` SET TBLPROPERTIES ('parquet.compression'='SNAPPY', 'projection.enabled'='true', " +
        "'projection.year.type'='integer', 'projection.year.range'='2019,2030', " +
        "'projection.month.type'='integer', 'projection.month.range'='1,12', 'projection.month.digits'='2', " +
        "'projection.day.type'='integer', 'projection.day.range'='1,31', 'projection.day.digits'='2', " +
        "'storage.location.template'='s3://lake-processed/tables/click_events/year=${year}/month=${month}/day=${day}/')",
    );
  });

  it('refuses a range that is not a date', () => {
    expect(() => projected(ordersYaml, "{ from: \"2020'); DROP\" }")).toThrow(/partition_by.projection.from.*YYYY-MM-DD/);
    expect(() => projected(ordersYaml, '{ from: 2020-01-01, to: tomorrow }')).toThrow(/partition_by.projection.to/);
  });
});

