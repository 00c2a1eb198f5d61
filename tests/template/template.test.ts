/**
 * Guards on template.yaml: each check is a small function that returns what is wrong (empty when all is well), so a
 * failing test names the resource that regressed. The "catches" tests break a copy of the template on purpose to show
 * each check would notice.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';
import { CFN_LINT, requireTool } from '../support/tools.js';

// CloudFormation templates are untyped JSON.
type Props = Record<string, any>;
interface Resource {
  Type: string;
  Properties?: Props;
}
interface Template {
  Resources: Record<string, Resource>;
  [section: string]: any;
}

const templatePath = fileURLToPath(new URL('../../template.yaml', import.meta.url));
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------- parsing

/** `!Sub x` parses to `{ 'Fn::Sub': x }`, `!Ref x` to `{ Ref: x }`, in scalar, sequence and mapping form. */
const intrinsics = [
  'Ref', 'Condition', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap',
  'Base64', 'Cidr', 'GetAZs', 'ImportValue', 'Transform', 'ToJsonString', 'Length',
];

function cfnTags(): Array<ScalarTag | CollectionTag> {
  const key = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
  return intrinsics.flatMap((name): Array<ScalarTag | CollectionTag> => [
    {
      tag: `!${name}`,
      resolve: (value: string) => ({ [key(name)]: name === 'GetAtt' ? value.split('.') : value }),
    },
    { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [key(name)]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map', resolve: (map) => ({ [key(name)]: map.toJSON() }) },
  ]);
}

function loadTemplate(path = templatePath): Template {
  return parse(readFileSync(path, 'utf8'), { customTags: cfnTags() }) as Template;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function resourcesOfType(template: Template, type: string): Array<[string, Props]> {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

// ---------------------------------------------------------------- IAM

interface PlacedStatement {
  where: string;
  statement: Props;
}

/** Every IAM statement the template grants: inline function policies, AWS::IAM::Policy/ManagedPolicy, role policies. */
function iamStatements(template: Template): PlacedStatement[] {
  // A statement behind a condition (`!If [Cond, statement, !Ref AWS::NoValue]`) counts as granted.
  const unwrapIf = (statement: Props): Props[] =>
    statement['Fn::If'] ? (statement['Fn::If'] as Props[]).slice(1).filter((branch) => branch.Ref !== 'AWS::NoValue') : [statement];
  const fromDocument = (where: string, document: Props | undefined) =>
    asArray<Props>(document?.Statement).flatMap(unwrapIf).map((statement: Props) => ({ where, statement }));
  const placed: PlacedStatement[] = [];
  for (const [id, props] of [...resourcesOfType(template, 'AWS::Serverless::Function'), ...resourcesOfType(template, 'AWS::Serverless::StateMachine')]) {
    // SAM policy templates and managed policy names are strings or `{ SQSSendMessagePolicy: … }`; only inline
    // documents carry a Statement.
    for (const policy of asArray(props.Policies)) {
      if (typeof policy === 'object' && policy !== null && 'Statement' in policy) placed.push(...fromDocument(id, policy));
    }
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, props] of resourcesOfType(template, type)) placed.push(...fromDocument(id, props.PolicyDocument));
  }
  for (const [id, props] of resourcesOfType(template, 'AWS::IAM::Role')) {
    for (const policy of asArray<Props>(props.Policies)) placed.push(...fromDocument(id, policy.PolicyDocument));
  }
  return placed;
}

/** Allow statements whose actions are `*` or a whole service (`s3:*`), or that use NotAction. */
function wildcardActions(template: Template): string[] {
  return iamStatements(template)
    .filter(({ statement }) => statement.Effect === 'Allow')
    .flatMap(({ where, statement }) => [
      ...asArray<string>(statement.Action)
        .filter((action) => action === '*' || action.endsWith(':*'))
        .map((action) => `${where}: ${action}`),
      ...(statement.NotAction ? [`${where}: NotAction`] : []),
    ]);
}

/** Allow statements on every resource (`*`). Services without resource-level permissions are not used here. */
function wildcardResources(template: Template): string[] {
  return iamStatements(template)
    .filter(({ statement }) => statement.Effect === 'Allow')
    .filter(({ statement }) => asArray(statement.Resource).includes('*') || statement.NotResource)
    .map(({ where, statement }) => `${where}: ${statement.Sid ?? JSON.stringify(statement.Action)}`);
}

// ---------------------------------------------------------------- buckets

function buckets(template: Template): Array<[string, Props]> {
  return resourcesOfType(template, 'AWS::S3::Bucket');
}

function bucketsWithoutPublicAccessBlock(template: Template): string[] {
  const flags = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];
  return buckets(template)
    .filter(([, props]) => !flags.every((flag) => props.PublicAccessBlockConfiguration?.[flag] === true))
    .map(([id]) => id);
}

function bucketsWithoutEncryption(template: Template): string[] {
  return buckets(template)
    .filter(([, props]) => {
      const rules = asArray<Props>(props.BucketEncryption?.ServerSideEncryptionConfiguration);
      return !rules.some((rule) => ['AES256', 'aws:kms', 'aws:kms:dsse'].includes(rule.ServerSideEncryptionByDefault?.SSEAlgorithm));
    })
    .map(([id]) => id);
}

function deniesInsecureTransport(statement: Props): boolean {
  const secure = statement.Condition?.Bool?.['aws:SecureTransport'];
  return (
    statement.Effect === 'Deny' &&
    statement.Principal === '*' &&
    asArray(statement.Action).some((action) => action === 's3:*') &&
    (secure === false || secure === 'false')
  );
}

function bucketsWithoutSecureTransportPolicy(template: Template): string[] {
  const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy').map(([, props]) => props);
  return buckets(template)
    .filter(([id]) => {
      const own = policies.filter((policy) => policy.Bucket?.Ref === id);
      return !own.some((policy) => asArray<Props>(policy.PolicyDocument?.Statement).some(deniesInsecureTransport));
    })
    .map(([id]) => id);
}

function bucketsWithoutAbortIncompleteUploads(template: Template): string[] {
  return buckets(template)
    .filter(([, props]) => {
      const rules = asArray<Props>(props.LifecycleConfiguration?.Rules);
      return !rules.some((rule) => rule.Status === 'Enabled' && rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation);
    })
    .map(([id]) => id);
}

// ---------------------------------------------------------------- functions

/** Functions a state machine runs as its steps (named by `!GetAtt F.Arn` in its DefinitionSubstitutions). */
function stateMachineSteps(template: Template): string[] {
  return resourcesOfType(template, 'AWS::Serverless::StateMachine').flatMap(([, props]) =>
    Object.values<Props>(props.DefinitionSubstitutions ?? {}).flatMap((value) => (Array.isArray(value?.['Fn::GetAtt']) ? [value['Fn::GetAtt'][0] as string] : [])),
  );
}

function functionsWithoutFailureHandling(template: Template): string[] {
  const steps = stateMachineSteps(template);
  return resourcesOfType(template, 'AWS::Serverless::Function')
    .filter(([id, props]) => {
      // Invoked only by a state machine, synchronously: its failures are the machine's (Retry, Catch, its fail path).
      if (steps.includes(id) && Object.keys(props.Events ?? {}).length === 0) return false;
      // A function fed by SQS alone is polled, not invoked asynchronously: its queue's redrive policy is its failure path.
      const events = Object.values<Props>(props.Events ?? {});
      if (events.length > 0 && events.every((e) => e.Type === 'SQS')) {
        return !events.every((e) => template.Resources[e.Properties?.Queue?.['Fn::GetAtt']?.[0]]?.Properties?.RedrivePolicy?.deadLetterTargetArn);
      }
      const config = props.EventInvokeConfig;
      return config?.MaximumRetryAttempts === undefined || !config.DestinationConfig?.OnFailure?.Destination;
    })
    .map(([id]) => id);
}

/**
 * The bucket a value names, as a logical id: `!Ref B`, `!GetAtt B.Arn`, a `!Sub` that mentions `${B}`/`${B.Arn}`, or
 * a `!Sub` that spells out B's built BucketName (how the raw bucket is named to avoid a circular dependency).
 */
function bucketNamed(template: Template, value: unknown): string | undefined {
  const ids = buckets(template).map(([id]) => id);
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Props;
  if (typeof v.Ref === 'string' && ids.includes(v.Ref)) return v.Ref;
  if (Array.isArray(v['Fn::GetAtt']) && ids.includes(v['Fn::GetAtt'][0])) return v['Fn::GetAtt'][0];
  const sub = Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'][0] : v['Fn::Sub'];
  if (typeof sub !== 'string') return undefined;
  return buckets(template).find(([id, props]) => {
    const builtName = props.BucketName?.['Fn::Sub'];
    return (
      sub.includes(`\${${id}}`) ||
      sub.includes(`\${${id}.Arn}`) ||
      (typeof builtName === 'string' && (sub === builtName || sub.includes(`:::${builtName}`)))
    );
  })?.[0];
}

function triggerBuckets(template: Template, functionProps: Props): string[] {
  return Object.values<Props>(functionProps.Events ?? {})
    .filter((event) => event.Type === 'S3')
    .map((event) => bucketNamed(template, event.Properties?.Bucket) ?? JSON.stringify(event.Properties?.Bucket));
}

/** Buckets a function writes to: its PROCESSED_BUCKET and any bucket its policies let it put objects in. */
function writtenBuckets(template: Template, functionId: string, functionProps: Props): string[] {
  const fromEnv = bucketNamed(template, functionProps.Environment?.Variables?.PROCESSED_BUCKET);
  const fromPolicies = iamStatements(template)
    .filter(({ where, statement }) => where === functionId && statement.Effect === 'Allow')
    .filter(({ statement }) => asArray<string>(statement.Action).some((action) => action === 's3:PutObject'))
    .flatMap(({ statement }) => asArray(statement.Resource).map((resource) => bucketNamed(template, resource)));
  return [fromEnv, ...fromPolicies].filter((id): id is string => id !== undefined);
}

/** Functions that could trigger themselves: an S3 event on a bucket they write to. */
function selfTriggeringFunctions(template: Template): string[] {
  return resourcesOfType(template, 'AWS::Serverless::Function').flatMap(([id, props]) => {
    const writes = new Set(writtenBuckets(template, id, props));
    return triggerBuckets(template, props)
      .filter((bucket) => writes.has(bucket))
      .map((bucket) => `${id} writes to ${bucket}, which triggers it`);
  });
}

/** Athena results must not land in a bucket that holds tables. */
function athenaResultsInTableBucket(template: Template): string[] {
  return resourcesOfType(template, 'AWS::Athena::WorkGroup')
    .filter(([, props]) => {
      const bucket = bucketNamed(template, props.WorkGroupConfiguration?.ResultConfiguration?.OutputLocation);
      return bucket === undefined || bucket === 'ProcessedBucket' || bucket === 'RawBucket';
    })
    .map(([id]) => id);
}

// ---------------------------------------------------------------- the template as it is

describe('template.yaml', () => {
  const template = loadTemplate();

  it('parses CloudFormation tags into intrinsic objects', () => {
    const raw = template.Resources.RawBucket.Properties?.BucketName;
    expect(raw).toEqual({ 'Fn::Sub': '${BucketNamePrefix}-raw-${AWS::AccountId}-${AWS::Region}' });
    expect(template.Resources.ProcessedBucketPolicy.Properties?.Bucket).toEqual({ Ref: 'ProcessedBucket' });
    expect(template.Resources.RawBucketPolicy.Properties?.PolicyDocument.Statement[0].Resource[0]).toEqual({
      'Fn::GetAtt': ['RawBucket', 'Arn'],
    });
  });

  it('grants no wildcard IAM actions', () => {
    expect(iamStatements(template).length).toBeGreaterThan(5);
    expect(wildcardActions(template)).toEqual([]);
  });

  it('grants nothing on every resource', () => {
    expect(wildcardResources(template)).toEqual([]);
  });

  it('has the three buckets the pipeline needs', () => {
    expect(buckets(template).map(([id]) => id).sort()).toEqual(['AthenaResultsBucket', 'ProcessedBucket', 'RawBucket']);
  });

  it('blocks public access on every bucket', () => {
    expect(bucketsWithoutPublicAccessBlock(template)).toEqual([]);
  });

  it('encrypts every bucket', () => {
    expect(bucketsWithoutEncryption(template)).toEqual([]);
  });

  it('denies plain-HTTP access to every bucket', () => {
    expect(bucketsWithoutSecureTransportPolicy(template)).toEqual([]);
  });

  it('cleans up incomplete multipart uploads in every bucket', () => {
    expect(bucketsWithoutAbortIncompleteUploads(template)).toEqual([]);
  });

  it('expires Athena query results', () => {
    const rules = asArray<Props>(template.Resources.AthenaResultsBucket.Properties?.LifecycleConfiguration?.Rules);
    expect(rules.some((rule) => rule.ExpirationInDays?.Ref === 'AthenaResultsRetentionDays')).toBe(true);
  });

  it('sends events that failed every retry somewhere', () => {
    expect(functionsWithoutFailureHandling(template)).toEqual([]);
  });

  it('never lets the function trigger itself', () => {
    const props = template.Resources.TransformFunction.Properties ?? {};
    expect(triggerBuckets(template, props)).toEqual(['RawBucket']);
    expect(writtenBuckets(template, 'TransformFunction', props)).toContain('ProcessedBucket');
    expect(selfTriggeringFunctions(template)).toEqual([]);
  });

  it.each(['TransformFunction', 'FanOutFunction'])('names the raw bucket the same way wherever it cannot be referenced (%s)', (id) => {
    // RawBucket cannot be `!Ref`-ed from the functions (circular dependency), so its name is spelled out; all spellings
    // must agree or the function reads from, and is granted, a bucket that does not exist.
    const props = template.Resources[id]!.Properties ?? {};
    expect(bucketNamed(template, props.Environment.Variables.RAW_BUCKET)).toBe('RawBucket');
    const rawGrants = iamStatements(template).filter(
      ({ where, statement }) => where === id && asArray(statement.Resource).some((resource) => bucketNamed(template, resource) === 'RawBucket'),
    );
    expect(rawGrants.flatMap(({ statement }) => asArray(statement.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
  });

  it('keeps Athena results out of the table buckets', () => {
    expect(athenaResultsInTableBucket(template)).toEqual([]);
  });
  it('feeds the refresh function from a FIFO queue (a group per model) that dead-letters, and lets the transform and the fan-out queue', () => {
    const { ModelRefreshQueue, ModelRefreshDeadLetterQueue, RefreshFunction, TransformFunction, FanOutFunction } = template.Resources;
    expect(ModelRefreshQueue.Properties!.FifoQueue).toBe(true);
    expect(ModelRefreshDeadLetterQueue.Properties!.FifoQueue).toBe(true);
    expect(ModelRefreshQueue.Properties!.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['ModelRefreshDeadLetterQueue', 'Arn'] });
    expect(ModelRefreshQueue.Properties!.VisibilityTimeout).toBeGreaterThan(RefreshFunction.Properties!.Timeout);
    expect(RefreshFunction.Properties!.Events.ModelRefreshQueued).toMatchObject({ Type: 'SQS', Properties: { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] } });
    for (const queuing of [TransformFunction, FanOutFunction]) {
      expect(queuing.Properties!.Environment.Variables.MODEL_REFRESH_QUEUE_URL).toEqual({ Ref: 'ModelRefreshQueue' });
    }
    const sends = iamStatements(template).filter(({ statement }) => asArray(statement.Action).includes('sqs:SendMessage'));
    expect(sends.map(({ where }) => where).sort()).toEqual(expect.arrayContaining(['FanOutFunction', 'RefreshFunction', 'TransformFunction']));
    const refreshSends = sends.filter(({ statement }) => asArray(statement.Resource).some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': ['ModelRefreshQueue', 'Arn'] })));
    expect(refreshSends.map(({ where, statement }) => [where, statement.Action, statement.Resource]).sort()).toEqual([
      ['FanOutFunction', ['sqs:SendMessage'], { 'Fn::GetAtt': ['ModelRefreshQueue', 'Arn'] }],
      ['RefreshFunction', ['sqs:SendMessage'], { 'Fn::GetAtt': ['ModelRefreshQueue', 'Arn'] }],
      ['TransformFunction', ['sqs:SendMessage'], { 'Fn::GetAtt': ['ModelRefreshQueue', 'Arn'] }],
    ]);
  });
});

// ---------------------------------------------------------------- the checks catch regressions

describe('template checks catch regressions', () => {
  const fresh = () => loadTemplate();

  it('catches a wildcard action', () => {
    const template = fresh();
    template.Resources.TransformFunction.Properties!.Policies[0].Statement[0].Action = ['s3:*'];
    expect(wildcardActions(template)).toEqual(['TransformFunction: s3:*']);
  });

  it('catches a wildcard resource', () => {
    const template = fresh();
    template.Resources.TransformFunction.Properties!.Policies[0].Statement[0].Resource = '*';
    expect(wildcardResources(template)).toEqual(['TransformFunction: ReadRawObjects']);
  });

  it('catches a bucket left open, unencrypted, without TLS policy or upload cleanup', () => {
    const template = fresh();
    const props = template.Resources.ProcessedBucket.Properties!;
    props.PublicAccessBlockConfiguration.RestrictPublicBuckets = false;
    delete props.BucketEncryption;
    delete props.LifecycleConfiguration;
    delete template.Resources.ProcessedBucketPolicy;
    expect(bucketsWithoutPublicAccessBlock(template)).toEqual(['ProcessedBucket']);
    expect(bucketsWithoutEncryption(template)).toEqual(['ProcessedBucket']);
    expect(bucketsWithoutSecureTransportPolicy(template)).toEqual(['ProcessedBucket']);
    expect(bucketsWithoutAbortIncompleteUploads(template)).toEqual(['ProcessedBucket']);
  });

  it('catches a function without a failure destination', () => {
    const template = fresh();
    delete template.Resources.TransformFunction.Properties!.EventInvokeConfig.DestinationConfig;
    expect(functionsWithoutFailureHandling(template)).toEqual(['TransformFunction']);
  });

  it('catches a state machine step that is triggered by an event too (it is then invoked outside the machine)', () => {
    const template = fresh();
    template.Resources.FanOutFunction.Properties!.Events = { RawObjectCreated: { Type: 'S3', Properties: { Bucket: { Ref: 'RawBucket' } } } };
    expect(functionsWithoutFailureHandling(template)).toEqual(['FanOutFunction']);
  });

  it('catches a state machine allowed to invoke any function', () => {
    const template = fresh();
    template.Resources.FanOutStateMachine.Properties!.Policies[0].Statement[0].Resource = '*';
    expect(wildcardResources(template)).toEqual(['FanOutStateMachine: InvokeFanOutSteps']);
  });

  it('catches a trigger on the bucket the function writes to', () => {
    const template = fresh();
    template.Resources.TransformFunction.Properties!.Events.RawObjectCreated.Properties.Bucket = { Ref: 'ProcessedBucket' };
    expect(selfTriggeringFunctions(template)).toEqual(['TransformFunction writes to ProcessedBucket, which triggers it']);
  });

  it('catches a write grant on the trigger bucket', () => {
    const template = fresh();
    template.Resources.TransformFunction.Properties!.Policies[0].Statement[0].Action = ['s3:GetObject', 's3:PutObject'];
    expect(selfTriggeringFunctions(template)).toEqual(['TransformFunction writes to RawBucket, which triggers it']);
  });

  it('catches Athena results written into the processed bucket', () => {
    const template = fresh();
    template.Resources.AthenaWorkGroup.Properties!.WorkGroupConfiguration.ResultConfiguration.OutputLocation = {
      'Fn::Sub': 's3://${ProcessedBucket}/athena/',
    };
    expect(athenaResultsInTableBucket(template)).toEqual(['AthenaWorkGroup']);
  });
});

// ---------------------------------------------------------------- operations: alarms and dashboard

/** Alarms (metric and composite) that would change state without telling anyone: no action on an SNS topic of the stack. */
function alarmsWithoutAction(template: Template): string[] {
  const topics = resourcesOfType(template, 'AWS::SNS::Topic').map(([id]) => id);
  return [...resourcesOfType(template, 'AWS::CloudWatch::Alarm'), ...resourcesOfType(template, 'AWS::CloudWatch::CompositeAlarm')]
    .filter(([, props]) => {
      const actions = asArray<Props>(props.AlarmActions);
      return props.ActionsEnabled === false || actions.length === 0 || !actions.every((action) => topics.includes(action?.Ref));
    })
    .map(([id]) => id);
}

/** A metric as an alarm names it: `MetricName` + `Dimensions`, or each `MetricStat` of a metric-math alarm. */
function alarmMetrics(props: Props): Array<{ namespace: unknown; name: string; dimensions: Record<string, unknown> }> {
  const dims = (list: unknown) => Object.fromEntries(asArray<Props>(list as Props[]).map((d) => [d.Name, d.Value]));
  if (props.MetricName) return [{ namespace: props.Namespace, name: props.MetricName, dimensions: dims(props.Dimensions) }];
  return asArray<Props>(props.Metrics)
    .filter((m) => m.MetricStat)
    .map((m) => ({ namespace: m.MetricStat.Metric.Namespace, name: m.MetricStat.Metric.MetricName, dimensions: dims(m.MetricStat.Metric.Dimensions) }));
}

/** The logical id a `FunctionName` / `QueueName` dimension refers to: `!Ref X` or `!GetAtt X.QueueName`. */
function dimensionTarget(value: unknown): string | undefined {
  const v = value as Props | undefined;
  return typeof v?.Ref === 'string' ? v.Ref : Array.isArray(v?.['Fn::GetAtt']) ? v['Fn::GetAtt'][0] : undefined;
}

/** Functions missing an alarm on their Errors, Throttles or Duration (AWS/Lambda, dimension FunctionName). */
function functionsWithoutAlarms(template: Template): string[] {
  const watched = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .flatMap(([, props]) => alarmMetrics(props))
    .filter((metric) => metric.namespace === 'AWS/Lambda')
    .map((metric) => `${dimensionTarget(metric.dimensions.FunctionName)} ${metric.name}`);
  const functions = [...resourcesOfType(template, 'AWS::Serverless::Function'), ...resourcesOfType(template, 'AWS::Lambda::Function')];
  return functions.flatMap(([id]) => ['Errors', 'Throttles', 'Duration'].filter((name) => !watched.includes(`${id} ${name}`)).map((name) => `${id} ${name}`));
}

/** Queues that hold failures (a function's OnFailure destination, a redrive policy's dead-letter target) without a depth alarm. */
function failureQueuesWithoutAlarms(template: Template): string[] {
  const failureQueues = new Set<string>();
  for (const [, props] of resourcesOfType(template, 'AWS::Serverless::Function')) {
    const target = dimensionTarget(props.EventInvokeConfig?.DestinationConfig?.OnFailure?.Destination);
    if (target) failureQueues.add(target);
  }
  for (const [, props] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const target = dimensionTarget(props.RedrivePolicy?.deadLetterTargetArn);
    if (target) failureQueues.add(target);
  }
  const watched = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .flatMap(([, props]) => alarmMetrics(props))
    .filter((metric) => metric.namespace === 'AWS/SQS' && metric.name === 'ApproximateNumberOfMessagesVisible')
    .map((metric) => dimensionTarget(metric.dimensions.QueueName));
  return [...failureQueues].filter((queue) => !watched.includes(queue));
}

/** Datasets (datasets/*.yaml) without an alarm on their quarantined rows. */
function datasetsWithoutQuarantineAlarm(template: Template, datasets: string[]): string[] {
  const watched = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .flatMap(([, props]) => alarmMetrics(props))
    .filter((metric) => metric.name === 'RowsQuarantined')
    .map((metric) => metric.dimensions.dataset);
  return datasets.filter((dataset) => !watched.includes(dataset));
}

/** The dashboard body with `${…}` substitutions filled in (the namespace as its default), parsed. */
function dashboardBody(template: Template, id = 'OperationsDashboard'): Props {
  const body = template.Resources[id]!.Properties!.DashboardBody['Fn::Sub'] as string;
  const namespace = template.Parameters.MetricsNamespace.Default as string;
  return JSON.parse(body.replace(/\$\{MetricsNamespace\}/g, namespace).replace(/\$\{([^}]+)\}/g, (_, name: string) => (/^\w+$/.test(name) && template.Parameters[name]?.Type === 'Number' ? '1' : name)));
}

/** Metric names in our namespace that the dashboard charts: `[namespace, name, …]` rows and SEARCH expressions. */
function dashboardMetricNames(body: Props, namespace: string): string[] {
  const names: string[] = [];
  for (const widget of asArray<Props>(body.widgets)) {
    for (const row of asArray<unknown[]>(widget.properties?.metrics)) {
      if (row[0] === namespace) names.push(String(row[1]));
      for (const part of row) {
        const expression = (part as Props | undefined)?.expression as string | undefined;
        if (expression?.includes(namespace)) names.push(...[...expression.matchAll(/MetricName="(\w+)"/g)].map((m) => m[1]!));
      }
    }
  }
  return names;
}

/** Metric names the handlers publish: the quoted names in each `addMetric(…)`'s first argument. */
function publishedMetricNames(): Set<string> {
  const handlers = fileURLToPath(new URL('../../src/handlers/', import.meta.url));
  const names = new Set<string>();
  for (const file of readdirSync(handlers).filter((f) => f.endsWith('.ts'))) {
    for (const call of readFileSync(`${handlers}${file}`, 'utf8').matchAll(/addMetric\(([^,]+),/g)) {
      for (const quoted of call[1]!.matchAll(/'(\w+)'/g)) names.add(quoted[1]!);
    }
  }
  return names;
}

/** Charted by name before a function publishes them; empty while every charted metric has its publisher. */
const PENDING_METRICS: string[] = [];

const contractNames = (): string[] => {
  const dir = fileURLToPath(new URL('../../datasets/', import.meta.url));
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => (parse(readFileSync(`${dir}${f}`, 'utf8')) as { name: string }).name);
};

describe('operations: alarms and dashboard', () => {
  const template = loadTemplate();
  const namespace = template.Parameters.MetricsNamespace.Default as string;

  it('gives every alarm an action on the alarm topic', () => {
    expect(resourcesOfType(template, 'AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(8);
    expect(alarmsWithoutAction(template)).toEqual([]);
  });

  it('catches an alarm without an action, or with its actions disabled', () => {
    const broken = loadTemplate();
    delete broken.Resources.TransformErrorsAlarm!.Properties!.AlarmActions;
    broken.Resources.FailedEventsAlarm!.Properties!.ActionsEnabled = false;
    broken.Resources.TransformThrottlesAlarm!.Properties!.AlarmActions = [{ Ref: 'NoSuchTopic' }];
    expect(alarmsWithoutAction(broken).sort()).toEqual(['FailedEventsAlarm', 'TransformErrorsAlarm', 'TransformThrottlesAlarm']);
  });

  it('alarms on the errors, throttles and duration of every function, and on every failure queue', () => {
    expect(functionsWithoutAlarms(template)).toEqual([]);
    expect(failureQueuesWithoutAlarms(template)).toEqual([]);
  });

  it('measures each duration alarm against the timeout of its own function', () => {
    const mismatched = resourcesOfType(template, 'AWS::CloudWatch::Alarm').flatMap(([id, props]) => {
      const duration = alarmMetrics(props).find((m) => m.namespace === 'AWS/Lambda' && m.name === 'Duration');
      if (!duration) return [];
      const fn = template.Resources[dimensionTarget(duration.dimensions.FunctionName)!]!.Properties!;
      const timeout = typeof fn.Timeout === 'object' ? `\${${fn.Timeout.Ref}}` : String(fn.Timeout);
      const expression = asArray<Props>(props.Metrics).map((m) => m.Expression?.['Fn::Sub'] ?? m.Expression).find(Boolean) as string;
      return expression.includes(`(${timeout} * 1000)`) ? [] : [`${id}: ${expression} vs Timeout ${timeout}`];
    });
    expect(mismatched).toEqual([]);
  });

  it('catches a function or failure queue nobody watches', () => {
    const broken = loadTemplate();
    delete broken.Resources.TransformThrottlesAlarm;
    delete broken.Resources.FailedEventsAlarm;
    expect(functionsWithoutAlarms(broken)).toEqual(['TransformFunction Throttles']);
    expect(failureQueuesWithoutAlarms(broken)).toEqual(['FailedEventsQueue']);
  });

  it('subscribes the alarm email only when one is given', () => {
    expect(template.Resources.AlarmEmailSubscription).toMatchObject({ Condition: 'HasAlarmEmail', Properties: { Endpoint: { Ref: 'AlarmEmail' } } });
    expect(template.Parameters.AlarmEmail.Default).toBe('');
  });

  it('watches the quarantine ratio of every dataset contract', () => {
    expect(datasetsWithoutQuarantineAlarm(template, contractNames())).toEqual([]);
    expect(datasetsWithoutQuarantineAlarm(template, ['clickstream'])).toEqual(['clickstream']);
  });

  it('alarms on our metrics with the dimensions the transform publishes them with', () => {
    const ours = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .flatMap(([id, props]) => alarmMetrics(props).map((metric) => ({ id, ...metric })))
      .filter((metric) => (metric.namespace as Props | undefined)?.Ref === 'MetricsNamespace');
    expect(ours.length).toBeGreaterThan(0);
    const published = publishedMetricNames();
    for (const metric of ours) {
      expect({ id: metric.id, name: metric.name, published: published.has(metric.name) }).toEqual({ id: metric.id, name: metric.name, published: true });
      // Powertools adds `service`; publishRunMetrics adds `dataset`. A different set is a different metric to CloudWatch.
      expect(Object.keys(metric.dimensions).sort()).toEqual(['dataset', 'service']);
      expect(metric.dimensions.service).toBe('glueless');
    }
  });

  it('charts only metrics the handlers publish, besides the named pending ones', () => {
    const body = dashboardBody(template);
    const charted = dashboardMetricNames(body, namespace);
    expect(charted).toEqual(expect.arrayContaining(['FilesProcessed', 'FilesRejected', 'FilesFailed', 'RowsWritten', 'RowsQuarantined']));
    const published = publishedMetricNames();
    expect(charted.filter((name) => !published.has(name) && !PENDING_METRICS.includes(name))).toEqual([]);
  });

  it('catches a dashboard metric nobody publishes', () => {
    const broken = loadTemplate();
    const props = broken.Resources.OperationsDashboard!.Properties!;
    props.DashboardBody['Fn::Sub'] = (props.DashboardBody['Fn::Sub'] as string).replace('MetricName=\\"RowsWritten\\"', 'MetricName=\\"RowsWriten\\"');
    const published = publishedMetricNames();
    expect(dashboardMetricNames(dashboardBody(broken), namespace).filter((n) => !published.has(n) && !PENDING_METRICS.includes(n))).toEqual(['RowsWriten']);
  });
});

// ---------------------------------------------------------------- cfn-lint

/**
 * cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational (not reported unless asked for). The
 * template is kept free of both errors and warnings, so either fails the test; a warning that must stay belongs in the
 * resource's `Metadata: cfn-lint: config: ignore_checks`, where a reader can see why. cfn-lint is a Python tool; where
 * it is not installed these tests fail saying how to install it (`pip install cfn-lint`), never skip.
 */
const FAILING_LINT_BITS = 2 | 4;

describe('cfn-lint', () => {
  it('reports no errors or warnings', () => {
    requireTool(CFN_LINT);
    let output = '';
    let status = 0;
    try {
      output = execFileSync('cfn-lint', ['--format', 'parseable', 'template.yaml'], {
        cwd: projectRoot,
        encoding: 'utf8',
      });
    } catch (error) {
      const failed = error as { status: number | null; stdout?: string; stderr?: string };
      status = failed.status ?? -1;
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    const failing = status < 0 || (status & FAILING_LINT_BITS) !== 0;
    expect(failing ? output || `cfn-lint exited with ${status}` : '').toBe('');
  });
});

// ---------------------------------------------------------------- Firehose and Kinesis (EnableFirehose, EnableKinesisStream)

describe('template.yaml streams', () => {
  const template = loadTemplate();
  const role = template.Resources.FirehoseDeliveryRole!.Properties!;
  const statements = iamStatements(template).filter((s) => s.where === 'FirehoseDeliveryRole').map((s) => s.statement);
  const destination = template.Resources.DeliveryStream!.Properties!.ExtendedS3DestinationConfiguration;

  it('puts the streams behind parameters, so a stack without them is as small as before', () => {
    for (const id of ['DeliveryStream', 'FirehoseDeliveryRole', 'FirehoseLogGroup', 'FirehoseLogStream']) {
      expect(`${id}: ${(template.Resources[id] as Props).Condition}`).toBe(`${id}: FirehoseEnabled`);
    }
    expect((template.Resources.ClickstreamStream as Props).Condition).toBe('KinesisEnabled');
    expect(template.Parameters.EnableFirehose.Default).toBe('false');
    expect(template.Parameters.EnableKinesisStream.Default).toBe('false');
  });

  it('lets only Firehose of this account assume the delivery role', () => {
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'firehose.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } } }),
    ]);
  });

  it('lets Firehose put objects only under the dataset prefix and its error prefix, and read nothing', () => {
    const objectActions = statements.filter((s) => asArray<string>(s.Action).some((a) => a === 's3:PutObject'));
    expect(objectActions).toHaveLength(1);
    expect(objectActions[0]!.Resource).toEqual([
      { 'Fn::Sub': '${RawBucket.Arn}/${FirehoseDatasetPrefix}*' },
      { 'Fn::Sub': '${RawBucket.Arn}/firehose-errors/*' },
    ]);
    const actions = statements.flatMap((s) => asArray<string>(s.Action));
    expect(actions.filter((a) => /^s3:(Get|Delete)Object/.test(a))).toEqual([]);
    const kinesis = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('kinesis:')));
    expect(kinesis.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': ['ClickstreamStream', 'Arn'] }]);
    expect(actions.filter((a) => a.startsWith('kinesis:')).every((a) => /^kinesis:(Describe|Get|List)/.test(a))).toBe(true);
  });

  it('delivers gzip under the dataset prefix, errors where no dataset and so no transform reads', async () => {
    expect(destination.CompressionFormat).toBe('GZIP');
    expect(destination.Prefix['Fn::Sub']).toMatch(/^\$\{FirehoseDatasetPrefix\}!\{timestamp:yyyy\}\//);
    expect(destination.BufferingHints).toEqual({ IntervalInSeconds: { Ref: 'FirehoseBufferSeconds' }, SizeInMBs: { Ref: 'FirehoseBufferMiB' } });
    expect(destination.CloudWatchLoggingOptions.Enabled).toBe(true);
    const errorPrefix = String(destination.ErrorOutputPrefix).split('!')[0]!;
    const { bundledContracts } = await import('../../src/handlers/datasets.generated.js');
    expect(bundledContracts.filter((c) => errorPrefix.startsWith(c.prefix) || c.prefix.startsWith(errorPrefix))).toEqual([]);
    const owner = bundledContracts.find((c) => c.prefix === template.Parameters.FirehoseDatasetPrefix.Default);
    expect(owner?.format).toBe('jsonl');
  });

  it.each([
    ['EnableFirehose=true', 'EnableKinesisStream=false'],
    ['EnableFirehose=true', 'EnableKinesisStream=true'],
    ['EnableFirehose=false', 'EnableKinesisStream=true'],
  ])('is cfn-lint clean with %s %s', (...parameters) => {
    requireTool(CFN_LINT);
    const run = spawnSync('cfn-lint', ['--format', 'parseable', 'template.yaml', '--parameters', ...parameters], { cwd: projectRoot, encoding: 'utf8' });
    const failing = run.status === null || (run.status & FAILING_LINT_BITS) !== 0;
    expect(failing ? `${run.stdout}${run.stderr}` || `cfn-lint exited with ${run.status}` : '').toBe('');
  });
});

// ---------------------------------------------------------------- fan-out (files too big for one invocation)

/** The Task states of an ASL definition, Map iterations included. */
function taskStates(machine: Props): Array<[string, Props]> {
  return Object.entries<Props>(machine.States).flatMap(([name, state]): Array<[string, Props]> => [
    ...(state.Type === 'Task' ? [[name, state] as [string, Props]] : []),
    ...(state.ItemProcessor ? taskStates(state.ItemProcessor) : []),
  ]);
}

/** Task states whose failure would end the run without the fail step: neither a catch-all Catch nor a Next that is a Fail state. */
function tasksWithoutFailurePath(machine: Props): string[] {
  const states = machine.States as Record<string, Props>;
  return taskStates(machine)
    .filter(([, state]) => !asArray<Props>(state.Catch).some((c) => asArray(c.ErrorEquals).includes('States.ALL')))
    .filter(([, state]) => states[state.Next]?.Type !== 'Fail')
    .map(([name]) => name);
}

describe('template.yaml fan-out', () => {
  const template = loadTemplate();
  const { FanOutStateMachine, FanOutFunction, TransformFunction } = template.Resources as Record<string, Resource & { Properties: Props }>;
  const machine = FanOutStateMachine.Properties;
  const definitionText = readFileSync(fileURLToPath(new URL(`../../${machine.DefinitionUri}`, import.meta.url)), 'utf8');
  const statementsOf = (id: string) => iamStatements(template).filter((s) => s.where === id).map((s) => s.statement);
  const arnOf = (kind: 'stateMachine' | 'execution', tail = '') =>
    `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:${kind}:${machine.Name['Fn::Sub']}${tail}`;

  it('runs the definition file with every placeholder substituted by FanOutFunction, as a Standard workflow', () => {
    expect(FanOutStateMachine.Type).toBe('AWS::Serverless::StateMachine');
    expect(machine.Type).toBe('STANDARD');
    expect(machine.DefinitionUri).toBe('statemachine/fan-out.asl.json');
    const placeholders = new Set([...definitionText.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders]).toEqual(['FanOutFunctionArn']);
    expect(machine.DefinitionSubstitutions).toEqual({ FanOutFunctionArn: { 'Fn::GetAtt': ['FanOutFunction', 'Arn'] } });
  });

  it('sends every step that can fail to the fail step (clean-up, FAILED notice, failed-events queue) or a Fail state', () => {
    const definition = JSON.parse(definitionText) as Props;
    expect(taskStates(definition).length).toBeGreaterThanOrEqual(6);
    expect(tasksWithoutFailurePath(definition)).toEqual([]);
    delete definition.States.Settle.Catch;
    expect(tasksWithoutFailurePath(definition)).toEqual(['Settle']);
  });

  it('lets the state machine invoke only its function and start and watch only its own (child) executions', () => {
    const statements = statementsOf('FanOutStateMachine');
    const grants = Object.fromEntries(statements.flatMap((s) => asArray<string>(s.Action).map((a) => [a, asArray(s.Resource)])));
    expect(Object.keys(grants).sort()).toEqual(['lambda:InvokeFunction', 'states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(grants['lambda:InvokeFunction']).toEqual([{ 'Fn::GetAtt': ['FanOutFunction', 'Arn'] }, { 'Fn::Sub': '${FanOutFunction.Arn}:*' }]);
    // The role names its own state machine by the Name it is given (a Ref to itself would be circular).
    expect(grants['states:StartExecution']).toEqual([{ 'Fn::Sub': arnOf('stateMachine') }]);
    for (const action of ['states:DescribeExecution', 'states:StopExecution']) {
      expect(grants[action]).toEqual([{ 'Fn::Sub': arnOf('execution', ':*') }, { 'Fn::Sub': arnOf('execution', '/*') }]);
    }
    expect(machine.Name).toEqual({ 'Fn::Sub': '${BucketNamePrefix}-fan-out' });
  });

  it('lets the transform start only the fan-out state machine, above the threshold parameter', () => {
    const starts = iamStatements(template).filter(({ statement }) => asArray(statement.Action).some((a) => String(a).startsWith('states:Start')));
    expect(starts.map(({ where, statement }) => [where, statement.Resource])).toEqual([
      ['TransformFunction', { Ref: 'FanOutStateMachine' }],
      ['FanOutStateMachine', { 'Fn::Sub': arnOf('stateMachine') }],
    ]);
    expect(TransformFunction.Properties.Environment.Variables).toMatchObject({
      FANOUT_STATE_MACHINE_ARN: { Ref: 'FanOutStateMachine' },
      FANOUT_THRESHOLD_BYTES: { Ref: 'FanOutThresholdBytes' },
    });
    expect(template.Parameters.FanOutThresholdBytes).toMatchObject({ Type: 'Number', Default: 4 * 1024 ** 3, MinValue: 0 });
    expect(FanOutFunction.Properties.Environment.Variables.FANOUT_RANGE_BYTES).toEqual({ Ref: 'FanOutRangeBytes' });
    expect(template.Outputs.FanOutStateMachineArn.Value).toEqual({ Ref: 'FanOutStateMachine' });
  });

  it('sets the transform\u2019s range worker threads by a parameter whose default is one per vCPU', () => {
    expect(TransformFunction.Properties.Environment.Variables.RANGE_WORKERS).toEqual({ Ref: 'TransformRangeWorkers' });
    expect(template.Parameters.TransformRangeWorkers).toMatchObject({ Type: 'Number', Default: 0, MinValue: 0 });
  });

  it('lets the fan-out function write only where a run writes, and queue only to the failed-events and model-refresh queues', () => {
    const statements = statementsOf('FanOutFunction');
    const puts = statements.filter((s) => asArray(s.Action).includes('s3:PutObject')).flatMap((s) => asArray<Props>(s.Resource).map((r) => r['Fn::Sub']));
    expect(puts.sort()).toEqual([
      '${AthenaResultsBucket.Arn}/athena/*',
      '${ProcessedBucket.Arn}/manifests/*',
      '${ProcessedBucket.Arn}/quarantine/*',
      '${ProcessedBucket.Arn}/ranges/*',
      '${ProcessedBucket.Arn}/tables/*',
    ]);
    const sends = statements.filter((s) => asArray(s.Action).some((a) => String(a).startsWith('sqs:')));
    expect(sends.map((s) => [s.Action, s.Resource])).toEqual([
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] }],
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['ModelRefreshQueue', 'Arn'] }],
    ]);
    expect(FanOutFunction.Properties.Environment.Variables).toMatchObject({
      FAILURE_QUEUE_URL: { Ref: 'FailedEventsQueue' },
      MODEL_REFRESH_QUEUE_URL: { Ref: 'ModelRefreshQueue' },
    });
    expect(statements.flatMap((s) => asArray<string>(s.Action)).filter((a) => a.startsWith('states:') || a.startsWith('lambda:'))).toEqual([]);
  });

  it('builds the fan-out function as the transform is built, from its own entry point', () => {
    const { EntryPoints, ...build } = (FanOutFunction as Props).Metadata.BuildProperties;
    const { EntryPoints: transformEntry, ...transformBuild } = (TransformFunction as Props).Metadata.BuildProperties;
    expect(EntryPoints).toEqual(['src/handlers/fan-out.ts']);
    // The handler, then its range worker threads' script: one directory, so sam build lays both at the artifact root.
    expect(transformEntry).toEqual(['src/handlers/transform.ts', 'src/handlers/range-worker.ts']);
    expect(build).toEqual(transformBuild);
    // The SDK's ES modules, so esbuild drops what a client never sends: the transform's bundle stays under 1 MB.
    expect(build.MainFields).toBe('module,main');
    expect(FanOutFunction.Properties.Handler).toBe('src/handlers/fan-out.handler');
    expect(FanOutFunction.Properties.LoggingConfig.LogGroup).toEqual({ Ref: 'FanOutFunctionLogGroup' });
  });

  it('alarms when a fan-out run fails', () => {
    const alarm = template.Resources.FanOutExecutionsFailedAlarm!.Properties!;
    expect(alarm).toMatchObject({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'FanOutStateMachine' } }] });
  });
});
