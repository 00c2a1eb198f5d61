import { readFile } from 'node:fs/promises';
import { GENERATED_MODELS_FILE, renderModelsModule } from '../../scripts/embed-models.js';

describe('models embedded in the refresh function', () => {
  it('match models/*.sql (after adding or changing a model, run `npm run embed-models`)', async () => {
    if ((await readFile(GENERATED_MODELS_FILE, 'utf8')) !== (await renderModelsModule())) {
      throw new Error(`${GENERATED_MODELS_FILE} is out of date with models/: run \`npm run embed-models\` and commit the result`);
    }
  });
});
