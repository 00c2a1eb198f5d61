import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, type Tags } from 'yaml';
import { GluelessError } from '../pipeline/contract/errors.js';

/** Just enough of a SAM template to build and run a function locally: its handler, code root, environment, build metadata. */

export interface SamFunction {
  name: string;
  /** `src/handlers/transform.handler`: module path, then the export. */
  handler: string;
  /** The code root, absolute. */
  codeDir: string;
  runtime?: string;
  memorySize?: unknown;
  timeout?: unknown;
  /** Variable → literal value or intrinsic (`{ Ref: … }`, `{ 'Fn::Sub': … }`), Globals merged in. */
  environment: Record<string, unknown>;
  buildProperties?: Record<string, unknown>;
}

export interface SamTemplate {
  file: string;
  parameters: Record<string, { Default?: unknown }>;
  resources: Record<string, { Type?: string; Properties?: Record<string, any>; Metadata?: Record<string, any> }>;
  globals: Record<string, any>;
}

const INTRINSICS = ['Ref', 'Condition', 'Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join',
  'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or'];

/** CloudFormation's short forms (`!Ref X`) as their long forms (`{ Ref: X }`), for scalars, lists and maps alike. */
const cloudFormationTags: Tags = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (value: any) => ({ [key]: value.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (value: any) => ({ [key]: value.toJSON() }) },
  ];
});

export async function readSamTemplate(file: string): Promise<SamTemplate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new GluelessError(`${file}: template not found (set --template)`);
  }
  const doc = parse(text, { customTags: cloudFormationTags }) as Record<string, any> | null;
  return {
    file: path.resolve(file),
    parameters: doc?.Parameters ?? {},
    resources: doc?.Resources ?? {},
    globals: doc?.Globals ?? {},
  };
}

export function samFunction(template: SamTemplate, name: string): SamFunction {
  const resource = template.resources[name];
  const functions = Object.keys(template.resources).filter((n) => isFunction(template.resources[n]?.Type));
  if (!resource || !isFunction(resource.Type)) {
    throw new GluelessError(`${template.file} has no function ${name} (functions: ${functions.join(', ') || 'none'})`);
  }
  const props = resource.Properties ?? {};
  const globals = template.globals.Function ?? {};
  const handler = props.Handler ?? globals.Handler;
  if (typeof handler !== 'string') throw new GluelessError(`function ${name} has no Handler`);
  const codeUri = props.CodeUri ?? globals.CodeUri ?? '.';
  if (typeof codeUri !== 'string') throw new GluelessError(`function ${name}: only a local CodeUri can run locally`);
  return {
    name,
    handler,
    codeDir: path.resolve(path.dirname(template.file), codeUri),
    runtime: props.Runtime ?? globals.Runtime,
    memorySize: props.MemorySize ?? globals.MemorySize,
    timeout: props.Timeout ?? globals.Timeout,
    environment: { ...globals.Environment?.Variables, ...props.Environment?.Variables },
    buildProperties: resource.Metadata?.BuildProperties,
  };
}

export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A literal, or `!Ref Parameter` with a Default, as text; undefined when only a deployment could tell. */
export function literalValue(template: SamTemplate, value: unknown): string | undefined {
  if (!isIntrinsic(value)) return value === undefined || value === null ? undefined : String(value);
  const ref = (value as { Ref?: unknown }).Ref;
  const parameter = typeof ref === 'string' ? template.parameters[ref] : undefined;
  return parameter?.Default === undefined ? undefined : String(parameter.Default);
}

function isFunction(type: string | undefined): boolean {
  return type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function';
}
