/**
 * `npm run bench:bundle`: the Lambda bundles' sizes (the handler's and the range worker's; the issue's budget: ≤ 1 MB
 * each) and the handler's cold import time against bare node, each the median of `--runs` fresh processes. Importing
 * the bundle runs what a cold start runs before the first event: module evaluation, the SDK clients' construction,
 * Powertools' set-up.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLambda } from '../scripts/build-lambda.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 9;
const bundle = await buildLambda({ outdir: 'bench/.data/lambda' });

/** Wall time of a fresh `node` running `script`, in ms, as its own clock measures it from process start. */
function processMs(script: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `${script}\nconsole.log(performance.now())`], {
    // As configured on the function, so Powertools and the SDK set themselves up as they would there.
    env: { ...process.env, AWS_REGION: 'us-east-1', POWERTOOLS_SERVICE_NAME: 'glueless', NODE_OPTIONS: '--enable-source-maps' },
  });
  return Number(out.toString().trim().split('\n').at(-1));
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const bare: number[] = [];
const withBundle: number[] = [];
for (let i = 0; i < runs; i++) {
  bare.push(processMs(''));
  withBundle.push(processMs(`await import(${JSON.stringify(pathToFileURL(bundle.outfile).href)});`));
}
console.log(`| bundle | bytes | node alone | node + import of the bundle | import cost |`);
console.log(`|---|---:|---:|---:|---:|`);
console.log(
  `| ${path.basename(bundle.outfile)} | ${size(bundle.bytes)} | ` +
    `${median(bare).toFixed(0)} ms | ${median(withBundle).toFixed(0)} ms | ${(median(withBundle) - median(bare)).toFixed(0)} ms |`,
);
// The other entry points (the range worker threads' script): loaded only when a worker starts, never at a cold start.
for (const entry of bundle.entries.slice(1)) console.log(`| ${path.basename(entry.outfile)} | ${size(entry.bytes)} | | | not imported by the handler |`);
// The template's other functions, for their size against the same budget (their cold starts are not timed here).
for (const functionName of ['FanOutFunction', 'RefreshFunction', 'ExtractFunction']) {
  const other = await buildLambda({ functionName, outdir: `bench/.data/lambda-${functionName}` });
  for (const entry of other.entries) console.log(`| ${functionName}: ${path.basename(entry.outfile)} | ${size(entry.bytes)} | | | |`);
}

function size(bytes: number): string {
  return `${bytes.toLocaleString('en')} (${(bytes / 1024 / 1024).toFixed(2)} MiB)`;
}
