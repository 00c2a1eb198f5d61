import { parquetReadObjects } from 'hyparquet';
import type { DatasetContract } from '../contract/contract.js';
import type { ObjectStore } from '../contract/ports.js';

/**
 * `primary_key_scope: table`: a row whose key the table already holds from another source file is quarantined under
 * `unique`. The keys come from the key columns of the other sources' files in the partitions this file writes, read once
 * per partition when its first row arrives — never from the whole table. Exact when the partition column is part of
 * the key (a key cannot then sit in another partition); otherwise it covers the partitions the file touches.
 */
export class TableKeys {
  private readonly partitions = new Map<string, Map<string, string>>();
  private readonly kinds: Array<string | undefined>;

  constructor(
    private readonly processed: ObjectStore,
    private readonly contract: DatasetContract,
    /** The key of this source's own file in a partition (processing it again replaces it, so it does not count). */
    private readonly ownFileName: string,
    private readonly keyIndexes: number[],
  ) {
    this.kinds = contract.primaryKey.map((k) => contract.columns.find((c) => c.name === k)?.type.kind);
  }

  isLoaded(partitionPath: string): boolean {
    return this.partitions.has(partitionPath);
  }

  async load(partitionPath: string): Promise<void> {
    const keys = new Map<string, string>();
    const prefix = `tables/${this.contract.name}/${partitionPath}`;
    for (const object of await this.processed.list(prefix)) {
      if (!object.key.endsWith('.parquet') || object.key.slice(prefix.length) === this.ownFileName) continue;
      const chunks: Uint8Array[] = [];
      for await (const chunk of await this.processed.read(object.key)) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      const rows = await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        columns: this.contract.primaryKey.filter((k) => !partitionColumnNames(this.contract).has(k)),
      });
      const partitionValues = partitionValuesOf(partitionPath);
      for (const row of rows) {
        keys.set(this.contract.primaryKey.map((k, i) => canonical(k in row ? row[k] : partitionValues.get(k), this.kinds[i])).join('\u0000'), object.key);
      }
    }
    this.partitions.set(partitionPath, keys);
  }

  /** The file that already holds this row's key, if another does. */
  holderOf(values: unknown[], partitionPath: string): string | undefined {
    const key = this.keyIndexes.map((index, i) => canonical(values[index], this.kinds[i])).join('\u0000');
    return this.partitions.get(partitionPath)?.get(key);
  }
}

function partitionColumnNames(contract: DatasetContract): Set<string> {
  return contract.partition.layout === 'date' ? new Set([contract.partition.column]) : new Set();
}

function partitionValuesOf(path: string): Map<string, string> {
  return new Map(path.split('/').filter(Boolean).map((part) => part.split('=') as [string, string]));
}

const DAY_MS = 86_400_000;

/** One text per key value, whichever side it came from: typed row values (days, ms, bigint) or Parquet's (Date, …). */
function canonical(value: unknown, kind?: string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return kind === 'timestamp' ? String(value.getTime()) : String(Math.round(value.getTime() / DAY_MS));
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return String(Math.round(Date.parse(`${value}T00:00:00Z`) / DAY_MS));
  if (kind === 'date' && typeof value === 'number') return String(value);
  return String(value);
}
