import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The extractor core is pure: no AWS, no DuckDB, no Lambda middleware, and nothing from the adapters, handlers or CLI. */
const root = resolve('src/extract');
const files = (function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
})(root);

describe('src/extract', () => {
  it('imports nothing from AWS, DuckDB, Middy, the adapters, the handlers or the CLI', () => {
    const offences: string[] = [];
    for (const file of files) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'";]*?from\s*'([^']+)'/g)) {
        if (/^@aws-sdk|^@aws-lambda-powertools|^@duckdb|^@middy/.test(spec!)) offences.push(`${relative(root, file)} → ${spec}`);
        if (spec!.startsWith('.')) {
          const target = relative(resolve('src'), resolve(dirname(file), spec!));
          if (/^(adapters|handlers|cli)\//.test(target)) offences.push(`${relative(root, file)} → ${target}`);
        }
      }
    }
    expect(files.length).toBeGreaterThan(10);
    expect(offences).toEqual([]);
  });
});
