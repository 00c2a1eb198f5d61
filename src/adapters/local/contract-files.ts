import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseContract } from '../../pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { checkContractSet } from '../../pipeline/schema/datasets.js';
import { ContractError } from '../../pipeline/contract/errors.js';

/** Every `*.yaml` / `*.yml` contract in a directory (default `datasets/`), validated. */
export async function loadContractDirectory(directory: string): Promise<DatasetContract[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new ContractError(`${directory}: dataset contract directory not found (set --datasets or GLUELESS_DATASETS)`);
  }
  if (names.length === 0) throw new ContractError(`${directory}: no dataset contracts (*.yaml) found`);
  const contracts = await Promise.all(
    names.map(async (name) => {
      const file = path.join(directory, name);
      return parseContract(await readFile(file, 'utf8'), path.relative(process.cwd(), file) || file);
    }),
  );
  return checkContractSet(contracts);
}
