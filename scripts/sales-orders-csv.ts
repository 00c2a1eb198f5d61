/**
 * Deterministic sales-orders CSV: the sample in samples/, the oracle test's large file and the benchmark's input all
 * come from here. Quoted fields with commas and escaped quotes, ~35% empty notes, orders spread over `days` dates.
 *
 *   tsx scripts/sales-orders-csv.ts --rows 3000 --days 7 --bad > samples/sales_orders.csv
 */
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface SalesOrdersOptions {
  rows: number;
  days: number;
  seed?: number;
  /** First order date, YYYY-MM-DD. */
  startDate?: string;
  /** Insert the demo's bad rows: a missing customer, a non-numeric quantity, a duplicate order id. */
  bad?: boolean;
}

const PRODUCTS: Array<[string, string]> = [
  ['Espresso Machine', '249.99'],
  ['Coffee Grinder', '89.50'],
  ['Desk Lamp, Brass', '45.00'],
  ['Poster "Sunset" 50x70', '19.90'],
  ['Notebook A5', '4.25'],
  ['Fountain Pen', '32.00'],
  ['Standing Desk', '499.00'],
  ['Office Chair', '189.99'],
  ['USB-C Cable 2m', '9.99'],
  ['Wireless Mouse', '24.95'],
  ['Mechanical Keyboard', '109.00'],
  ['Monitor 27"', '279.00'],
  ['Laptop Stand', '39.90'],
  ['Noise-Cancelling Headphones', '229.00'],
  ['Water Bottle 750ml', '14.50'],
  ['Backpack, Waxed Canvas', '129.00'],
  ['Plant Pot (ceramic)', '22.00'],
  ['Tea Sampler', '18.75'],
  ['Phone Case', '15.00'],
  ['Webcam HD', '59.00'],
];
const NOTES = ['gift wrap, please', 'leave at the door', 'call "Anna" on arrival', 'express', 'invoice to company', 'fragile'];

/** Park–Miller style generator: the same seed gives the same file on every machine. */
function random(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

function quote(field: string): string {
  return /[",\n\r]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** CSV text in chunks of about 1,000 rows. */
export function* salesOrdersCsv(options: SalesOrdersOptions): Generator<string> {
  const next = random(options.seed ?? 42);
  const start = Date.parse(`${options.startDate ?? '2024-03-01'}T00:00:00Z`);
  const badAt = options.bad ? new Map([[Math.floor(options.rows * 0.1), 'missing_customer'], [Math.floor(options.rows * 0.5), 'bad_quantity'], [Math.floor(options.rows * 0.8), 'duplicate']]) : new Map();
  let lines: string[] = ['order_id,customer_id,product,quantity,price,order_date,notes'];
  for (let i = 0; i < options.rows; i++) {
    const [product, price] = PRODUCTS[Math.floor(next() * PRODUCTS.length)]!;
    const day = Math.floor(next() * options.days);
    const date = new Date(start + day * 86_400_000).toISOString().slice(0, 10);
    const quantity = 1 + Math.floor(next() * 9);
    const customer = `C${String(1 + Math.floor(next() * 5000)).padStart(5, '0')}`;
    const note = next() < 0.35 ? '' : NOTES[Math.floor(next() * NOTES.length)]!;
    let fields = [String(100001 + i), customer, product, String(quantity), price, date, note];
    const bad = badAt.get(i);
    if (bad === 'missing_customer') fields[1] = '';
    if (bad === 'bad_quantity') fields[3] = 'three';
    if (bad === 'duplicate') fields = [String(100001 + i - 7), ...fields.slice(1)];
    lines.push(fields.map(quote).join(','));
    if (lines.length >= 1000) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

export async function writeSalesOrdersCsv(file: string, options: SalesOrdersOptions): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of salesOrdersCsv(options)) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, fallback: string) => {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? process.argv[index + 1]! : fallback;
  };
  const options = { rows: Number(arg('rows', '3000')), days: Number(arg('days', '7')), seed: Number(arg('seed', '42')), bad: process.argv.includes('--bad') };
  for (const chunk of salesOrdersCsv(options)) process.stdout.write(chunk);
}
