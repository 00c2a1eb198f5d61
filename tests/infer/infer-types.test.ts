import { inferTable, type ColumnGuess, type TableGuess } from '../../src/infer/infer-types.js';
import { InputFileError } from '../../src/pipeline/contract/errors.js';
import { typeName } from '../../src/pipeline/contract/column-type.js';

async function* bytesOf(text: string, chunkSize = 1 << 16) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
}

function infer(text: string, sampleRows?: number, delimiter = ','): Promise<TableGuess> {
  return inferTable(bytesOf(text), { fileName: 'test.csv', dialect: { delimiter, quote: '"' }, sampleRows });
}

/** One column's guess from a header and its values. */
async function column(header: string, values: string[]): Promise<ColumnGuess> {
  const text = [header, ...values.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v))].join('\n');
  return (await infer(`${text}\n`)).columns[0]!;
}

const typeOf = async (header: string, values: string[]) => {
  const guess = await column(header, values);
  return guess.format ? `${typeName(guess.type)} ${guess.format}` : typeName(guess.type);
};

describe('inferTable: types', () => {
  it.each([
    [['1', '-20', '+3', '2147483647'], 'int'],
    [['1', '2147483648'], 'bigint'],
    [['-9223372036854775808', '9223372036854775807'], 'bigint'],
    [['99999999999999999999'], 'decimal(22,0)'],
    [['10.50', '7', '-0.25'], 'decimal(6,2)'],
    [['12345678901234.56'], 'decimal(18,2)'],
    [['.5', '3.'], 'decimal(4,1)'],
    [['1.5e3', '2'], 'double'],
    [['0.' + '1'.repeat(40)], 'double'],
    [['true', 'FALSE'], 'boolean'],
    [['0', '1', '1'], 'int'],
    [['08123', '10001'], 'string'],
    [['007.5'], 'string'],
    [['1,234.50'], 'string'],
    [['abc', '1'], 'string'],
  ])('%j → %s', async (values, expected) => {
    expect(await typeOf('value', values)).toBe(expected);
  });

  it.each([
    [['2024-03-05', '1999-12-31'], 'date iso'],
    [['3/5/2024', '12/31/2024'], 'date M/d/yyyy'],
    [['03/05/2024', '12/31/2024'], 'date MM/dd/yyyy'],
    [['31/12/2024', '5/3/2024'], 'date d/M/yyyy'],
    [['05.03.2024', '31.12.2024'], 'date dd.MM.yyyy'],
    [['5.3.2024', '31.12.2024'], 'date d.M.yyyy'],
    [['2024/03/05'], 'date yyyy/MM/dd'],
    [['Mar 5 2024', 'Dec 31 2024'], 'date MMM d yyyy'],
    [['Mar 5, 2024', 'December 31, 2024'], 'date MMM d, yyyy'],
    [['5 Mar 2024', '31 Dec 2024'], 'date d MMM yyyy'],
    [['05-Mar-2024'], 'date dd-MMM-yyyy'],
    [['2024-03-05 14:05:00', '2024-03-05T09:00:00Z', '2024-03-06'], 'timestamp iso'],
    [['3/5/2024 14:05', '12/31/2024 9:00'], 'timestamp M/d/yyyy H:mm'],
    [['3/5/2024 2:05 PM', '12/31/2024 9:00 am'], 'timestamp M/d/yyyy h:mm a'],
    [['05.03.2024 14:05', '31.12.2024 09:00'], 'timestamp dd.MM.yyyy HH:mm'],
    [['Feb 30 2024'], 'string'],
    [['2024-02-30'], 'string'],
  ])('%j → %s', async (values, expected) => {
    expect(await typeOf('when', values)).toBe(expected);
  });

  it('reads integers as epoch seconds or milliseconds only under a time header and in a plausible range', async () => {
    expect(await typeOf('created_at', ['1709647500', '1709733900'])).toBe('timestamp epoch_s');
    expect(await typeOf('Event Time', ['1709647500123'])).toBe('timestamp epoch_ms');
    expect(await typeOf('order_date', ['20240305', '20231231'])).toBe('date yyyyMMdd');
    expect(await typeOf('amount', ['1709647500'])).toBe('int');
    expect(await typeOf('amount', ['3000000000'])).toBe('bigint');
    expect(await typeOf('created_at', ['12', '7'])).toBe('int');
  });

  it('says which other format also fits, unless it reads every value the same', async () => {
    expect((await column('d', ['3/5/2024', '4/6/2024'])).alsoFits).toEqual(['d/M/yyyy']);
    expect((await column('d', ['03/05/2024', '12/31/2024'])).alsoFits).toEqual([]);
  });

  it('spells boolean tokens as the file does', async () => {
    expect(await column('Cancelled', ['Y', 'N', 'n'])).toMatchObject({ type: { kind: 'boolean' }, trueValues: ['Y'], falseValues: ['N'] });
    expect(await column('ok', ['Yes', 'No'])).toMatchObject({ trueValues: ['Yes'], falseValues: ['No'] });
    const plain = await column('ok', ['true', 'false']);
    expect(plain.type).toEqual({ kind: 'boolean' });
    expect(plain.trueValues).toBeUndefined();
  });
});

describe('inferTable: nulls, required, keys, partitions', () => {
  it('takes null tokens as null in a typed column and keeps them as text in a text column', async () => {
    // ' ': a blank line would be skipped, and a blank field is null like an empty one.
    expect(await column('Dep Delay (min)', ['12', 'NA', ' ', '-3', 'NA'])).toMatchObject({
      name: 'dep_delay_min',
      type: { kind: 'int' },
      nullTokens: ['NA'],
      required: false,
      values: 2,
      nulls: 3,
    });
    expect(await column('country', ['NA', 'DE', 'FR'])).toMatchObject({ type: { kind: 'string' }, nullTokens: [], required: true, keptAsText: ['NA'] });
    expect(await column('n', ['1', 'NULL', 'N/A', '-'])).toMatchObject({ type: { kind: 'int' }, nullTokens: ['NULL', 'N/A', '-'] });
  });

  it('marks columns never empty in the sample as required; an always empty column is a nullable string', async () => {
    const guess = await infer('a,b,c\n1,x,\n2,,\n');
    expect(guess.columns.map((c) => [c.name, typeName(c.type), c.required])).toEqual([
      ['a', 'int', true],
      ['b', 'string', false],
      ['c', 'string', false],
    ]);
  });

  it('names columns in snake_case, unique, with a fallback for headers without letters or digits', async () => {
    const guess = await infer('Flight Date,Cost Total $,Cost Total %,$,OrderID\n2024-01-01,1,2,3,4\n');
    expect(guess.columns.map((c) => c.name)).toEqual(['flight_date', 'cost_total', 'cost_total_2', 'column_4', 'order_id']);
    expect(guess.columns.map((c) => c.header)).toEqual(['Flight Date', 'Cost Total $', 'Cost Total %', '$', 'OrderID']);
  });

  it('proposes a unique key: an *_id column first, then the leftmost, then the smallest pair', async () => {
    expect((await infer('name,order_id\nA,1\nB,2\n')).primaryKey).toEqual(['order_id']);
    expect((await infer('sku,qty\nA,1\nB,1\n')).primaryKey).toEqual(['sku']);
    expect((await infer('day,flight_no,carrier\n2024-01-01,1,AA\n2024-01-01,2,AA\n2024-01-02,1,AA\n')).primaryKey).toEqual(['day', 'flight_no']);
    expect((await infer('a,b\n1,1\n1,1\n')).primaryKey).toEqual([]);
    expect((await infer('price,ok\n1.5,y\n2.5,n\n')).primaryKey).toEqual([]);
  });

  it('partitions by the first required date, else a required timestamp, else the ingest date', async () => {
    expect((await infer('id,shipped,ordered\n1,,2024-01-01\n2,2024-01-02,2024-01-01\n')).partition).toMatchObject({ column: 'ordered', layout: 'date' });
    expect((await infer('id,at\n1,2024-01-01 10:00\n')).partition).toMatchObject({ column: 'at', layout: 'year_month_day' });
    expect((await infer('id,name\n1,x\n')).partition).toMatchObject({ column: 'ingest_date', layout: 'date' });
  });

  it('monthly partitions when the sample spans more days than a daily layout should hold', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => `${i},${new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)}`);
    expect((await infer(`id,day\n${rows.join('\n')}\n`)).partition).toMatchObject({ column: 'day', layout: 'year_month' });
  });

  it('a header-only file gives nullable string columns and no key', async () => {
    const guess = await infer('a,b\n');
    expect(guess).toMatchObject({ rowsSampled: 0, wholeFile: true, primaryKey: [], partition: { column: 'ingest_date' } });
    expect(guess.columns.map((c) => [typeName(c.type), c.required])).toEqual([
      ['string', false],
      ['string', false],
    ]);
  });

  it('leaves ragged rows out and counts them', async () => {
    const guess = await infer('a,b\n1,2\n3\n4,5,6\n7,8\n');
    expect(guess).toMatchObject({ rowsSampled: 2, raggedRows: 2 });
    expect(typeName(guess.columns[1]!.type)).toBe('int');
  });

  it('refuses a header the pipeline would refuse, with the same words', async () => {
    await expect(infer('a,b,a\n1,2,3\n')).rejects.toThrow(new InputFileError('test.csv: header "a" appears twice (columns 1 and 3)'));
    await expect(infer('a,,b\n')).rejects.toThrow(/header column 2 is empty/);
    await expect(infer('')).rejects.toThrow(/file is empty/);
  });
});

describe('inferTable: sampling', () => {
  it('looks at the first sampleRows rows only and stops reading the file soon after', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => (i === 150_000 ? 'x,oops' : `${i},${i % 7}`));
    const text = `id,n\n${rows.join('\n')}\n`;
    let chunksRead = 0;
    async function* counted() {
      for await (const chunk of bytesOf(text, 16 * 1024)) {
        chunksRead++;
        yield chunk;
      }
    }
    const guess = await inferTable(counted(), { fileName: 'big.csv', dialect: { delimiter: ',', quote: '"' }, sampleRows: 1000 });
    expect(guess).toMatchObject({ rowsSampled: 1000, wholeFile: false });
    expect(guess.columns.map((c) => typeName(c.type))).toEqual(['int', 'int']);
    expect(chunksRead).toBeLessThan(10);
  });

  it('ignores a quote left open where the stream was cut after the sample filled up', async () => {
    // Long quoted fields: the chunk boundary where reading stops falls inside one.
    const rows = Array.from({ length: 1500 }, (_, i) => `${i},"${'note\n'.repeat(800)}"`);
    const text = `id,note\n${rows.join('\n')}\n`;
    const guess = await inferTable(bytesOf(text, 4096), { fileName: 'q.csv', dialect: { delimiter: ',', quote: '"' }, sampleRows: 1000 });
    expect(guess).toMatchObject({ rowsSampled: 1000, wholeFile: false });
  });

  it('reports a malformed file when the sample cannot be read', async () => {
    await expect(infer('a,b\n1,"never closed\n')).rejects.toThrow(/test\.csv: line 2: malformed CSV/);
  });
});
