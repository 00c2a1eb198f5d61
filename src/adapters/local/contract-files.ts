import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseContract } from '../../pipeline/schema/parse-contract.js';
import type { DatasetContract } from '../../pipeline/contract/contract.js';
import { checkContractSet } from '../../pipeline/schema/datasets.js';
import { ContractError } from '../../pipeline/contract/errors.js';

/**
 * Every `*.yaml` / `*.yml` contract in a directory (default `datasets/`), validated. A broken or empty contract file
 * does not stop the others: it is reported through `warn` (default: a line on stderr naming the file) and left out,
 * so commands that do not need it go on; when no contract is left, its error is the command's error.
 */
export async function loadContractDirectory(
  directory: string,
  warn: (message: string) => void = (message) => process.stderr.write(`glueless: warning: ${message}\n`),
): Promise<DatasetContract[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new ContractError(`${directory}: dataset contract directory not found (set --datasets or GLUELESS_DATASETS)`);
  }
  if (names.length === 0) throw new ContractError(`${directory}: no dataset contracts (*.yaml) found`);
  const loaded = await Promise.all(
    names.map(async (name) => {
      const file = path.join(directory, name);
      try {
        return parseContract(await readFile(file, 'utf8'), path.relative(process.cwd(), file) || file);
      } catch (error) {
        if (error instanceof ContractError) return error;
        throw error;
      }
    }),
  );
  const contracts = loaded.filter((c): c is DatasetContract => !(c instanceof Error));
  const broken = loaded.filter((c): c is ContractError => c instanceof Error);
  if (contracts.length === 0) throw broken[0]!;
  for (const error of broken) warn(`${error.message} (that dataset is left out until the file is fixed)`);
  return checkContractSet(contracts);
}
