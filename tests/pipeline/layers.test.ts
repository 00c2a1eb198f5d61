import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The core's rooms: each stage folder imports only from the stages below it (or from files of its own folder), the
 * core imports nothing from AWS or DuckDB, and no file reaches itself through its imports.
 */
const STAGES: Record<string, number> = {
  contract: 0, // the contract's types, ports, names, errors: the ground floor
  support: 0, // byte and array helpers with no knowledge of the contract
  read: 1, // bytes → records: decompression, CSV, JSON lines, header and field mapping
  typing: 2, // records → typed rows: casts, date formats, expressions
  checks: 3, // rules and keys on typed rows
  write: 4, // typed rows → column buffers, Parquet, partitions, quarantine, lake keys
  schema: 5, // a contract loaded and validated, its DDL, its evolution
  run: 6, // one source object end to end, ingest, manifests, replay, failed events, retry
};

const root = resolve('src/pipeline');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'";]*?from\s*'([^']+)'/g)].map((m) => m[1]);
}

const files = sources(root);
const stageOf = (file: string) => relative(root, file).split('/')[0];

describe('src/pipeline rooms', () => {
  it('has every file in a stage folder', () => {
    for (const file of files) expect(Object.keys(STAGES)).toContain(stageOf(file));
  });

  it('imports only from stages below, and nothing from AWS or DuckDB', () => {
    const offences: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(file)) {
        if (/^@aws-sdk|^@aws-lambda-powertools|^@duckdb|^@middy/.test(spec)) offences.push(`${relative(root, file)} → ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        const from = stageOf(file);
        const to = stageOf(target);
        if (!target.startsWith(root)) offences.push(`${relative(root, file)} → ${spec} (outside the core)`);
        else if (from !== to && STAGES[to] >= STAGES[from]) offences.push(`${relative(root, file)} → ${relative(root, target)}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('has no import circle', () => {
    const graph = new Map(
      files.map((file) => [
        file,
        importsOf(file)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts'))),
      ]),
    );
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });
});
