import { readFile } from 'node:fs/promises';
import { resolveHeader } from '../../../src/pipeline/read/header.js';
import { parseContract } from '../../../src/pipeline/schema/parse-contract.js';

const sales = async () => parseContract(await readFile('datasets/sales_orders.yaml', 'utf8'), 'datasets/sales_orders.yaml');
const semicolonHeader = ['order_id;customer_id;product;quantity;price;order_date;notes'];

describe('resolveHeader', () => {
  it('says a header cut at the wrong delimiter looks ;-separated, naming source.delimiter', async () => {
    const contract = await sales();
    expect(() => resolveHeader(semicolonHeader, contract, 'day.csv')).toThrow(
      /^day\.csv: header lacks declared columns .*; the header looks ";"-separated: set source\.delimiter: ";" in the contract$/,
    );
  });

  it('gives no delimiter hint when the columns are simply missing', async () => {
    const contract = await sales();
    let message = '';
    try {
      resolveHeader(['order_id', 'customer_id', 'product', 'quantity', 'order_date', 'notes'], contract, 'day.csv');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/header lacks declared column "price"/);
    expect(message).not.toMatch(/separated/);
  });
});
