import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { AthenaCatalog } from '../../../src/adapters/aws/athena-catalog.js';
import { parseContract } from '../../../src/pipeline/schema/parse-contract.js';
import { addPartitionStatements, createTableStatement, setTablePropertiesStatement } from '../../../src/pipeline/schema/ddl.js';
import { CatalogError, UnsafeValueError } from '../../../src/pipeline/contract/errors.js';
import type { PartitionRef } from '../../../src/pipeline/contract/ports.js';
import { useMoto } from '../../support/moto.js';

const WORKGROUP = 'glueless';
const DATABASE = 'lake';
const TABLE_LOCATION = 's3://lake-processed/tables/sales_orders/';

const orders = parseContract(
  `
name: sales_orders
source: { prefix: sales/orders/ }
columns:
  - { name: order_id, type: bigint, required: true }
  - { name: order_date, type: date, required: true }
  - { name: amount, type: "decimal(12,2)" }
partition_by: { column: order_date, layout: date }
`,
  'orders.yaml',
);

function partition(date: string): PartitionRef {
  return { values: [{ name: 'order_date', value: date }], location: `${TABLE_LOCATION}order_date=${date}/` };
}

const moto = useMoto();
let client: AthenaClient;

beforeAll(() => {
  client = new AthenaClient({});
});

afterAll(() => {
  client?.destroy();
});

beforeEach(async () => {
  await moto.reset();
  await client.send(new CreateWorkGroupCommand({ Name: WORKGROUP }));
});

/** The statements Athena received, with the workgroup and database each ran in (moto lists them oldest first). */
async function receivedQueries(): Promise<Array<{ query?: string; workgroup?: string; database?: string }>> {
  const { QueryExecutionIds = [] } = await client.send(new ListQueryExecutionsCommand({ WorkGroup: WORKGROUP }));
  return Promise.all(
    QueryExecutionIds.map(async (id) => {
      const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      return {
        query: QueryExecution?.Query,
        workgroup: QueryExecution?.WorkGroup,
        database: QueryExecution?.QueryExecutionContext?.Database,
      };
    }),
  );
}

describe('AthenaCatalog against moto', () => {
  it('sends exactly the DDL that ddl.ts builds, in order, in its workgroup and database', async () => {
    const catalog = new AthenaCatalog({ client, workgroup: WORKGROUP, database: DATABASE, pollDelaysMs: [0] });
    const partitions = [partition('2024-01-01'), partition('2024-01-02')];

    await catalog.ensureTable(orders, TABLE_LOCATION);
    await catalog.addPartitions(orders, partitions);

    const expected = [
      createTableStatement(orders, TABLE_LOCATION, DATABASE),
      ...addPartitionStatements(orders, partitions, DATABASE),
    ];
    expect(expected).toHaveLength(2);
    expect(await receivedQueries()).toEqual(
      expected.map((query) => ({ query, workgroup: WORKGROUP, database: DATABASE })),
    );
  });

  it('with partition projection, sets the projection on the table and registers no partition', async () => {
    const catalog = new AthenaCatalog({ client, workgroup: WORKGROUP, database: DATABASE, pollDelaysMs: [0] });
    const projected = { ...orders, partition: { ...orders.partition, projection: { from: '2024-01-01' } } };
    await catalog.ensureTable(projected, TABLE_LOCATION);
    await catalog.addPartitions(projected, [partition('2024-01-01'), partition('2024-01-02')]);
    const expected = [createTableStatement(projected, TABLE_LOCATION, DATABASE), setTablePropertiesStatement(projected, TABLE_LOCATION, DATABASE)];
    expect(expected[0]).toContain("'storage.location.template'='s3://lake-processed/tables/sales_orders/order_date=${order_date}/'");
    expect(await receivedQueries()).toEqual(expected.map((query) => ({ query, workgroup: WORKGROUP, database: DATABASE })));
  });

  it('sends nothing for no partitions', async () => {
    const catalog = new AthenaCatalog({ client, workgroup: WORKGROUP, database: DATABASE, pollDelaysMs: [0] });
    await catalog.addPartitions(orders, []);
    expect(await receivedQueries()).toEqual([]);
  });

  it('sends nothing when a partition value is unsafe', async () => {
    const catalog = new AthenaCatalog({ client, workgroup: WORKGROUP, database: DATABASE, pollDelaysMs: [0] });
    const hostile = { ...partition('2024-01-01'), values: [{ name: 'order_date', value: "x'); DROP TABLE t; --" }] };
    await expect(catalog.addPartitions(orders, [partition('2024-01-02'), hostile])).rejects.toThrow(UnsafeValueError);
    expect(await receivedQueries()).toEqual([]);
  });

  it('turns a refused start (unknown workgroup) into a CatalogError', async () => {
    const catalog = new AthenaCatalog({ client, workgroup: 'missing', database: DATABASE, pollDelaysMs: [0] });
    await expect(catalog.runStatement('SELECT 1')).rejects.toThrow(CatalogError);
  });
});

/** An AthenaClient stand-in: records what it is sent and answers GetQueryExecution with the given states in turn. */
function fakeAthena(states: Array<{ State: string; StateChangeReason?: string }>) {
  const sent: unknown[] = [];
  let polls = 0;
  const client = {
    async send(command: unknown) {
      sent.push(command);
      if (command instanceof StartQueryExecutionCommand) return { QueryExecutionId: 'q-1' };
      if (command instanceof GetQueryExecutionCommand) {
        const status = states[Math.min(polls++, states.length - 1)];
        return { QueryExecution: { QueryExecutionId: 'q-1', Status: status } };
      }
      throw new Error('unexpected command');
    },
  };
  return { client: client as unknown as AthenaClient, sent, polls: () => polls };
}

describe('AthenaCatalog statement outcomes', () => {
  it('polls through QUEUED and RUNNING until SUCCEEDED', async () => {
    const fake = fakeAthena([{ State: 'QUEUED' }, { State: 'RUNNING' }, { State: 'SUCCEEDED' }]);
    const catalog = new AthenaCatalog({ client: fake.client, workgroup: 'wg', database: 'db', pollDelaysMs: [0, 1] });
    await expect(catalog.runStatement('SELECT 1')).resolves.toBe('q-1');
    expect(fake.polls()).toBe(3);
  });

  it("reports a FAILED statement with Athena's reason and the start of the statement", async () => {
    const fake = fakeAthena([
      { State: 'RUNNING' },
      { State: 'FAILED', StateChangeReason: 'FAILED: SemanticException table not found' },
    ]);
    const catalog = new AthenaCatalog({ client: fake.client, workgroup: 'wg', database: 'db', pollDelaysMs: [0] });
    const statement = createTableStatement(orders, TABLE_LOCATION, 'db');

    const error = await catalog.ensureTable(orders, TABLE_LOCATION).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(CatalogError);
    expect(error?.message).toContain('FAILED: SemanticException table not found');
    expect(error?.message).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`sales_orders` ( `order_id` bigint,');
    expect(error?.message).not.toContain('\n');
    expect(error?.message).toContain(statement.replace(/\s+/g, ' ').slice(0, 200));
    expect(error?.message).not.toContain(statement.replace(/\s+/g, ' ').slice(0, 201));
  });

  it('reports a CANCELLED statement', async () => {
    const fake = fakeAthena([{ State: 'CANCELLED', StateChangeReason: 'Query was cancelled by user' }]);
    const catalog = new AthenaCatalog({ client: fake.client, workgroup: 'wg', database: 'db', pollDelaysMs: [0] });
    await expect(catalog.runStatement('SELECT 1')).rejects.toThrow(/CANCELLED: Query was cancelled by user/);
  });

  it('passes a result location only when one is configured', async () => {
    const withResults = fakeAthena([{ State: 'SUCCEEDED' }]);
    await new AthenaCatalog({
      client: withResults.client,
      workgroup: 'wg',
      database: 'db',
      outputLocation: 's3://lake-results/athena/',
      pollDelaysMs: [0],
    }).runStatement('SELECT 1');
    const enforced = fakeAthena([{ State: 'SUCCEEDED' }]);
    await new AthenaCatalog({ client: enforced.client, workgroup: 'wg', database: 'db', pollDelaysMs: [0] }).runStatement(
      'SELECT 1',
    );

    const startInput = (fake: ReturnType<typeof fakeAthena>) => (fake.sent[0] as StartQueryExecutionCommand).input;
    expect(startInput(withResults)).toEqual({
      QueryString: 'SELECT 1',
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'db' },
      ResultConfiguration: { OutputLocation: 's3://lake-results/athena/' },
    });
    expect(startInput(enforced)).toEqual({
      QueryString: 'SELECT 1',
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'db' },
    });
  });
});
