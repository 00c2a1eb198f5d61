import { readFile } from 'node:fs/promises';
import { GENERATED_FILE, renderDatasetsModule } from '../../scripts/embed-datasets.js';
import { bundledContracts } from '../../src/handlers/datasets.generated.js';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';

describe('contracts embedded in the Lambda', () => {
  it('match datasets/*.yaml (after adding or changing a contract, run `npm run embed-datasets`)', async () => {
    const expected = await renderDatasetsModule();
    const actual = await readFile(GENERATED_FILE, 'utf8');
    if (actual !== expected) {
      throw new Error(`${GENERATED_FILE} is out of date with datasets/: run \`npm run embed-datasets\` and commit the result`);
    }
  });

  it('equal the contracts the local lake loads from datasets/', async () => {
    expect(bundledContracts).toEqual(await loadContractDirectory('datasets'));
    expect(bundledContracts.map((c) => c.name)).toContain('sales_orders');
  });
});
