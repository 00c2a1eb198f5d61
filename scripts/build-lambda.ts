/**
 * Bundles a function as `sam build` does with `BuildMethod: esbuild`: the template's BuildProperties turned into esbuild
 * options, SAM's defaults for what they leave out, one file per entry point at the root of
 * .aws-sam/build/<Function>/. Lets the tests run the very bundle SAM would deploy, without SAM.
 *   npm run build:lambda [-- --function TransformFunction --template template.yaml --outdir dir]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { readSamTemplate, samFunction } from '../src/cli/sam-template.js';

/** One entry point's bundle. */
export interface LambdaEntry {
  /** As the template names it, e.g. `src/handlers/transform.ts`. */
  entryPoint: string;
  /** e.g. `.aws-sam/build/TransformFunction/transform.mjs`. */
  outfile: string;
  bytes: number;
  /** Source files bundled, relative to the code root. */
  inputs: string[];
}

/** The bundle of the first entry point (the handler), and every entry point's, the first included. */
export interface LambdaBundle extends LambdaEntry {
  entries: LambdaEntry[];
}

export async function buildLambda(options: { template?: string; functionName?: string; outdir?: string } = {}): Promise<LambdaBundle> {
  const template = await readSamTemplate(options.template ?? 'template.yaml');
  const fn = samFunction(template, options.functionName ?? 'TransformFunction');
  const props = fn.buildProperties ?? {};
  const entryPoints = list(props.EntryPoints);
  if (entryPoints.length === 0) throw new Error(`${fn.name}: Metadata.BuildProperties.EntryPoints is not set`);
  const outdir = path.resolve(options.outdir ?? path.join('.aws-sam', 'build', fn.name));

  const esbuildOptions: BuildOptions = {
    absWorkingDir: fn.codeDir,
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    // SAM's defaults when the template leaves them out.
    target: String(props.Target ?? 'es2020'),
    format: (props.Format ?? 'cjs') as BuildOptions['format'],
    minify: props.Minify === undefined ? true : props.Minify === true,
    sourcemap: props.Sourcemap === true,
    sourcesContent: props.SourcesContent === undefined ? true : props.SourcesContent === true,
    mainFields: props.MainFields ? String(props.MainFields).split(',') : undefined,
    external: list(props.External),
    outExtension: pairs(props.OutExtension),
    banner: pairs(props.Banner),
    loader: pairs(props.Loader) as BuildOptions['loader'],
    metafile: true,
    logLevel: 'warning',
  };
  const result = await build(esbuildOptions);
  const outputs = Object.entries(result.metafile!.outputs).filter(([file]) => !file.endsWith('.map'));
  const entries = entryPoints.map((entryPoint): LambdaEntry => {
    const found = outputs.find(([, output]) => output.entryPoint && path.resolve(fn.codeDir, output.entryPoint) === path.resolve(fn.codeDir, entryPoint));
    if (!found) throw new Error(`${fn.name}: esbuild wrote no bundle for ${entryPoint}`);
    const [outfile, output] = found;
    return { entryPoint, outfile: path.resolve(fn.codeDir, outfile), bytes: output.bytes, inputs: Object.keys(output.inputs) };
  });
  return { ...entries[0]!, entries };
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** SAM's `key=value` list form (`.js=.mjs`, `js=import …`) as an object. */
function pairs(value: unknown): Record<string, string> | undefined {
  if (!Array.isArray(value)) return undefined;
  return Object.fromEntries(value.map((item) => {
    const text = String(item);
    const at = text.indexOf('=');
    return [text.slice(0, at), text.slice(at + 1)];
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { function: { type: 'string' }, template: { type: 'string' }, outdir: { type: 'string' } } });
  const bundle = await buildLambda({ template: values.template, functionName: values.function, outdir: values.outdir });
  for (const entry of bundle.entries) {
    process.stdout.write(`${path.relative(process.cwd(), entry.outfile)}: ${(entry.bytes / 1024 / 1024).toFixed(2)} MiB from ${entry.inputs.length} files\n`);
  }
}
