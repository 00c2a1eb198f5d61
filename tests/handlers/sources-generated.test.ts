import { readFile } from 'node:fs/promises';
import { renderSourcesModule, SOURCES_GENERATED_FILE } from '../../scripts/embed-datasets.js';
import { bundledSources } from '../../src/handlers/sources.generated.js';
import { loadSourceDirectory } from '../../src/adapters/local/source-files.js';

describe('sources embedded in the Lambda', () => {
  it('match sources/*.yaml (after adding or changing a source, run `npm run embed-datasets`)', async () => {
    const actual = await readFile(SOURCES_GENERATED_FILE, 'utf8');
    if (actual !== (await renderSourcesModule())) {
      throw new Error(`${SOURCES_GENERATED_FILE} is out of date with sources/: run \`npm run embed-datasets\` and commit the result`);
    }
  });

  it('equal the sources the CLI loads from sources/', async () => {
    expect(bundledSources).toEqual(await loadSourceDirectory('sources'));
    expect(bundledSources.map((s) => s.name)).toContain('traffic_hourly');
  });
});
