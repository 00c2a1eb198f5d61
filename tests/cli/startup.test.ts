import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GLUELESS_BIN, glueless } from '../support/cli.js';

const exec = promisify(execFile);

/** The installed CLI is compiled JavaScript and loads what a command runs, nothing more: it starts as fast as node. */
describe('glueless start-up', () => {
  let work: string;
  beforeAll(async () => (work = await mkdtemp(path.join(tmpdir(), 'glueless-startup-'))));
  afterAll(() => rm(work, { recursive: true, force: true }));

  async function loaded(args: string[]): Promise<string[]> {
    const trace = path.join(work, `${args.join('-').replace(/\W/g, '_')}.txt`);
    await exec(process.execPath, ['--import', path.resolve('tests/support/trace-imports.mjs'), GLUELESS_BIN, ...args], {
      env: { ...process.env, GLUELESS_TRACE_IMPORTS: trace },
    });
    return (await readFile(trace, 'utf8')).trim().split('\n');
  }

  /**
   * What the compiled files a command loaded hold: the CLI bundles the pure-JavaScript packages into its chunks, so a
   * library shows as its code in a chunk, not as a file of node_modules.
   */
  async function bundledIn(urls: string[]): Promise<string> {
    const files = urls.filter((u) => u.startsWith('file:') && u.includes('/dist/cli/'));
    return (await Promise.all(files.map((u) => readFile(new URL(u), 'utf8')))).join('\n');
  }
  // esbuild marks each bundled module with a comment naming its file.
  const DUCKDB = '// node_modules/@duckdb/node-api/';
  const HYPARQUET_WRITER = '// node_modules/hyparquet-writer/';
  const ZOD = '// node_modules/zod/';

  it('--help and --version run the compiled dist/cli, with no TypeScript, tsx, DuckDB, Parquet, zod or AWS SDK loaded', async () => {
    for (const args of [['--help'], ['--version'], ['ingest', '--help']]) {
      const urls = await loaded(args);
      expect(urls).toContainEqual(expect.stringMatching(/\/dist\/cli\/main\.js$/));
      expect(urls.filter((u) => /\.ts$|\/tsx\/|@duckdb|@aws-sdk|hyparquet|zod/.test(u))).toEqual([]);
      const code = await bundledIn(urls);
      for (const library of [DUCKDB, HYPARQUET_WRITER, ZOD]) expect(code.includes(library)).toBe(false);
    }
  });

  it('a command loads its own modules when it runs (here DuckDB for tables)', async () => {
    // A lake that exists (tables on one that does not stops before DuckDB: nothing to list).
    await mkdir(path.join(work, 'lake', 'raw'), { recursive: true });
    const urls = await loaded(['--lake', path.join(work, 'lake'), 'tables']);
    expect((await bundledIn(urls)).includes(DUCKDB)).toBe(true);
    expect(urls.filter((u) => /@aws-sdk/.test(u))).toEqual([]);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(await glueless(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
