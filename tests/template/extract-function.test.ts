/**
 * ExtractFunction in template.yaml kept in step with sources/*.yaml: one EventBridge Scheduler schedule per source with
 * the source's own expression and time zone, S3 writes only under the sources' dataset prefixes, and reads of only
 * the sources' own parameters and secrets. The "catches" tests break a copy to show each check would notice.
 */
import { readFileSync } from 'node:fs';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { loadContractDirectory } from '../../src/adapters/local/contract-files.js';
import { loadSourceDirectory } from '../../src/adapters/local/source-files.js';
import { bindSources, type BoundSource } from '../../src/extract/sources.js';

type Props = Record<string, any>;

const INTRINSICS = [
  'Ref', 'Condition', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap',
  'Base64', 'Cidr', 'GetAZs', 'ImportValue', 'Transform', 'ToJsonString', 'Length',
];
const tags = INTRINSICS.flatMap((name): Array<ScalarTag | CollectionTag> => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }) },
    { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [key]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map', resolve: (map) => ({ [key]: map.toJSON() }) },
  ];
});
const loadTemplate = (): Props => parse(readFileSync('template.yaml', 'utf8'), { customTags: tags });
const RAW = '${BucketNamePrefix}-raw-${AWS::AccountId}-${AWS::Region}';
const subOf = (value: any): string => (typeof value === 'string' ? value : Array.isArray(value?.['Fn::Sub']) ? value['Fn::Sub'][0] : value?.['Fn::Sub']);

function statements(template: Props): Props[] {
  return template.Resources.ExtractFunction.Properties.Policies.flatMap((p: Props) => p.Statement ?? []);
}

/** Schedules that differ from the sources' declarations, or that no source has. */
function scheduleMismatches(template: Props, sources: BoundSource[]): string[] {
  const events = Object.entries<Props>(template.Resources.ExtractFunction.Properties.Events ?? {}).filter(([, e]) => e.Type === 'ScheduleV2');
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [id, event] of events) {
    const name = JSON.parse(event.Properties.Input).source;
    const bound = sources.find((s) => s.source.name === name);
    seen.add(name);
    if (!bound) problems.push(`${id}: no source "${name}"`);
    else {
      if (event.Properties.ScheduleExpression !== bound.source.window.schedule) problems.push(`${id}: expression ${event.Properties.ScheduleExpression} ≠ ${bound.source.window.schedule}`);
      if (event.Properties.ScheduleExpressionTimezone !== bound.source.window.scheduleTimezone) problems.push(`${id}: time zone differs`);
      if (event.Properties.FlexibleTimeWindow?.Mode !== 'FLEXIBLE') problems.push(`${id}: no flexible window`);
    }
  }
  for (const { source } of sources) if (!seen.has(source.name)) problems.push(`no schedule for ${source.name}`);
  return problems;
}

/** What the function may write, list and read, as plain strings. */
function grants(template: Props) {
  const all = statements(template);
  const of = (action: string) => all.filter((s) => [s.Action].flat().includes(action));
  return {
    put: of('s3:PutObject').flatMap((s) => [s.Resource].flat().map(subOf)).sort(),
    listPrefixes: of('s3:ListBucket').flatMap((s) => [s.Condition?.StringLike?.['s3:prefix'] ?? '(any prefix)'].flat()).sort(),
    parameters: of('ssm:GetParameter').flatMap((s) => [s.Resource].flat().map(subOf)).sort(),
    secrets: of('secretsmanager:GetSecretValue').flatMap((s) => [s.Resource].flat().map(subOf)).sort(),
    actions: [...new Set(all.flatMap((s) => [s.Action].flat()))].sort(),
  };
}

function expectedGrants(sources: BoundSource[]) {
  const prefixes = [...new Set(sources.map((s) => s.contract.prefix)), '_extract/'];
  return {
    put: prefixes.map((p) => `arn:\${AWS::Partition}:s3:::${RAW}/${p}*`).sort(),
    listPrefixes: prefixes.map((p) => `${p}*`).sort(),
    parameters: sources.flatMap((s) => (s.source.secret?.ssmParameter ? [`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${s.source.secret.ssmParameter}`] : [])).sort(),
    secrets: sources.flatMap((s) => (s.source.secret?.secretsManager ? [`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${s.source.secret.secretsManager}-*`] : [])).sort(),
  };
}

describe('ExtractFunction', () => {
  let sources: BoundSource[];
  beforeAll(async () => {
    sources = bindSources(await loadSourceDirectory('sources'), await loadContractDirectory('datasets'));
  });

  it('is built like TransformFunction, from src/handlers/extract.ts', () => {
    const fn = loadTemplate().Resources.ExtractFunction;
    expect(fn.Metadata.BuildProperties.EntryPoints).toEqual(['src/handlers/extract.ts']);
    expect(fn.Properties.Handler).toBe('src/handlers/extract.handler');
    expect(fn.Properties.Tracing).toBe('Active');
    expect(fn.Properties.EventInvokeConfig.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': ['ExtractFailedEventsQueue', 'Arn'] });
    expect(subOf(fn.Properties.Environment.Variables.RAW_BUCKET)).toBe(RAW);
  });

  it('has one schedule per source, as the source declares it', () => {
    expect(sources.length).toBeGreaterThan(0);
    expect(scheduleMismatches(loadTemplate(), sources)).toEqual([]);
  });

  it("may write only under its sources' dataset prefixes and read only their own secrets", () => {
    const actual = grants(loadTemplate());
    const { actions, ...scoped } = actual;
    expect(scoped).toEqual(expectedGrants(sources));
    expect(actions).toEqual(expect.not.arrayContaining(['s3:DeleteObject', 'ssm:GetParametersByPath']));
  });

  it('catches a schedule out of step, a missing one, and a grant wider than the prefixes', () => {
    const template = loadTemplate();
    const events = template.Resources.ExtractFunction.Properties.Events;
    const [first] = Object.keys(events);
    events[first!].Properties.ScheduleExpression = 'rate(1 hour)';
    expect(scheduleMismatches(template, sources)[0]).toMatch(/expression rate\(1 hour\)/);
    delete events[first!];
    expect(scheduleMismatches(template, sources)).toEqual(expect.arrayContaining([expect.stringMatching(/^no schedule for/)]));
    statements(template)[0]!.Resource = [{ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${RAW}/*` }];
    expect(grants(template).put).not.toEqual(expectedGrants(sources).put);
  });
});
