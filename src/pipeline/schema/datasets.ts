import type { DatasetContract } from '../contract/contract.js';
import { ContractError } from '../contract/errors.js';

/** The contract owning a raw key: the one with the longest matching prefix, or undefined. */
export function contractForKey(contracts: DatasetContract[], key: string): DatasetContract | undefined {
  let best: DatasetContract | undefined;
  for (const contract of contracts) {
    if (key.startsWith(contract.prefix) && (!best || contract.prefix.length > best.prefix.length)) best = contract;
  }
  return best;
}

/** Two contracts may not share a table name or a prefix: each raw key must have exactly one owner. */
export function checkContractSet(contracts: DatasetContract[]): DatasetContract[] {
  const names = new Set<string>();
  const prefixes = new Set<string>();
  for (const contract of contracts) {
    if (names.has(contract.name)) throw new ContractError(`two dataset contracts declare table "${contract.name}"`);
    if (prefixes.has(contract.prefix)) throw new ContractError(`two dataset contracts own prefix "${contract.prefix}"`);
    names.add(contract.name);
    prefixes.add(contract.prefix);
  }
  return contracts;
}
