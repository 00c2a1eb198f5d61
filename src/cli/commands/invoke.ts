import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { GluelessError } from '../../pipeline/contract/errors.js';
import { isIntrinsic, literalValue, readSamTemplate, samFunction, type SamFunction, type SamTemplate } from '../sam-template.js';
import { applyEnvironment } from '../environment.js';

/**
 * `glueless invoke <event.json>`: what `sam local invoke` does, without Docker. Reads the function's Handler and
 * Environment from template.yaml, runs the handler in this process against whatever AWS_ENDPOINT_URL names, and prints
 * its result and the run manifests it points to.
 */

export interface InvokeOptions {
  function: string;
  template: string;
  /** SAM's --env-vars file: `{ "<Function>": { NAME: value }, "Parameters": { NAME: value } }`. */
  envVars?: string;
}

export async function invokeFunction(eventFile: string, options: InvokeOptions, print: (text: string) => void) {
  const template = await readSamTemplate(options.template);
  const fn = samFunction(template, options.function);
  const event = await readJson(eventFile, 'event');
  const overrides = options.envVars ? await readJson(options.envVars, '--env-vars') : {};
  const environment = {
    ...functionEnvironment(template, fn, { ...overrides.Parameters, ...overrides[fn.name] }),
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: literalValue(template, fn.memorySize) ?? '128',
  };
  const missing = Object.keys(fn.environment).filter((name) => !environment[name as keyof typeof environment]);
  if (missing.length > 0 && !options.envVars) {
    throw new GluelessError(
      `${fn.name}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (the template leaves ${missing.length === 1 ? 'it' : 'them'} ` +
        `to the deployment): pass --env-vars events/env.json, or export ${missing.length === 1 ? 'it' : 'them'}`,
    );
  }
  const restore = applyEnvironment(environment);
  try {
    const handler = await loadHandler(fn);
    const timeoutMs = Number(literalValue(template, fn.timeout) ?? 3) * 1000;
    // The handler's logs and metrics (Powertools writes them to stdout, as Lambda wants) go to stderr here, so what
    // invoke prints on stdout is its result alone.
    const result = await withStdoutOnStderr(() => handler(event, lambdaContext(fn, environment.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, timeoutMs)));
    print(JSON.stringify(result, null, 2));
    const manifests = [];
    for (const location of manifestLocations(result)) {
      const manifest = await readS3Json(location);
      manifests.push(manifest);
      print(`manifest ${location}\n${JSON.stringify(manifest, null, 2)}`);
    }
    return { result, manifests };
  } finally {
    restore();
  }
}

/**
 * The template's literal values; an intrinsic (`!Ref`, `!Sub`) takes the process environment's value, else a Ref'd
 * parameter's Default. An empty literal is a placeholder (AWS_ENDPOINT_URL) and keeps the process's value. The
 * --env-vars file overrides everything, as in `sam local invoke`.
 */
function functionEnvironment(template: SamTemplate, fn: SamFunction, overrides: Record<string, unknown>) {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    const literal = isIntrinsic(value) ? undefined : literalValue(template, value);
    const resolved = literal || (process.env[name] ?? literalValue(template, value));
    if (resolved !== undefined) env[name] = resolved;
  }
  for (const [name, value] of Object.entries(overrides)) env[name] = String(value);
  return env;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** `src/handlers/transform.handler` → export `handler` of src/handlers/transform.ts (or .js / .mjs) under CodeUri. */
async function loadHandler(fn: SamFunction): Promise<Handler> {
  const dot = fn.handler.lastIndexOf('.');
  const modulePath = path.join(fn.codeDir, fn.handler.slice(0, dot));
  const exportName = fn.handler.slice(dot + 1);
  const file = ['.ts', '.mts', '.js', '.mjs'].map((ext) => modulePath + ext).find((f) => existsSync(f));
  if (!file) throw new GluelessError(`handler ${fn.handler} of ${fn.name}: no module ${path.relative(process.cwd(), modulePath)}.ts|.js`);
  const module = await importHandlerModule(file);
  if (typeof module[exportName] !== 'function') {
    throw new GluelessError(`handler ${fn.handler} of ${fn.name}: ${path.relative(process.cwd(), file)} exports no function ${exportName}`);
  }
  return module[exportName] as Handler;
}

async function withStdoutOnStderr<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

/** The compiled CLI runs plain JavaScript: a TypeScript handler it cannot load as is goes through tsx's loader. */
async function importHandlerModule(file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    (await import('tsx/esm/api')).register();
    // A new URL: the loader remembers the failed attempt under the old one.
    return (await import(`${pathToFileURL(file).href}?tsx`)) as Record<string, unknown>;
  }
}

function lambdaContext(fn: SamFunction, memory: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${fn.name}`,
    memoryLimitInMB: memory,
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The transform's summary names each run's manifest by its s3:// location. */
function manifestLocations(result: unknown): string[] {
  const summary = result as { processed?: Array<{ manifest?: unknown }>; rejected?: Array<{ manifest?: unknown }> } | undefined;
  return [...(summary?.processed ?? []), ...(summary?.rejected ?? [])]
    .map((p) => p.manifest).filter((m): m is string => typeof m === 'string' && m.startsWith('s3://'));
}

async function readS3Json(location: string): Promise<unknown> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(location)!;
  const client = new S3Client({});
  try {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await Body!.transformToString());
  } finally {
    client.destroy();
  }
}

async function readJson(file: string, what: string): Promise<Record<string, any>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new GluelessError(`${file}: ${what} file not found`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GluelessError(`${file}: ${what} file is not JSON (${(error as Error).message})`);
  }
}
