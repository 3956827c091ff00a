/**
 * The handler role grants exactly the API actions the handler's code can call, on exactly the
 * stack account's and region's detectors and graphs, in every partition.
 *
 * The action set is derived from the handler's code (./handler-actions.ts). A new call in an
 * adapter fails this test until the policy grants it; a grant no code path uses fails it too.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { actionsCalledByHandler } from './handler-actions';
import { DetectiveGraphMembers, GuardDutyMembers, InspectorMembers, InspectorScanType, MacieMembers, SecurityHubMembers } from '../../src';

/** Operations that only find the detector or graph: granted only when discovery is used. */
const DISCOVERY = new Set(['guardduty:ListDetectors', 'detective:ListGraphs']);
/** Organizations reads: granted (on `*`, they have no resource type) only when OUs are declared. */
const ORGANIZATIONS = new Set(['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren']);
/** The sync failure metric: granted (on `*`, with a namespace condition) only when a sync schedule exists. */
const SYNC_METRIC = 'cloudwatch:PutMetricData';
/** Members' settings (GuardDuty protection plans): granted on the detectors only when a construct declares plans. */
const SETTINGS = new Set(['guardduty:GetMemberDetectors', 'guardduty:UpdateMemberDetectors']);
/** Inspector's scan types: granted (on `*`, like its member actions) only when a construct declares scanTypes. */
const SCAN_TYPES = new Set(['inspector2:BatchGetAccountStatus', 'inspector2:Enable']);

type Json = unknown;

/** Resolves the intrinsics a policy uses, for one partition, region and account. */
interface Environment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly urlSuffix: string;
}

function evaluate(value: Json, env: Environment, resources: Record<string, unknown>): Json {
  if (typeof value === 'string' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => evaluate(v, env, resources));
  const object = value as Record<string, Json>;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return parts.map((p) => evaluate(p, env, resources)).join(separator);
  }
  if ('Ref' in object) {
    const pseudo: Record<string, string> = { 'AWS::Partition': env.partition, 'AWS::Region': env.region, 'AWS::AccountId': env.account, 'AWS::URLSuffix': env.urlSuffix };
    return pseudo[object.Ref as string] ?? `<Ref ${object.Ref}>`;
  }
  if ('Fn::GetAtt' in object) {
    const [logicalId, attribute] = object['Fn::GetAtt'] as [string, string];
    const type = (resources[logicalId] as { Type: string }).Type;
    if (type === 'AWS::Logs::LogGroup' && attribute === 'Arn') {
      return `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:<${logicalId}>:*`;
    }
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') {
      return `arn:${env.partition}:lambda:${env.region}:${env.account}:function:<${logicalId}>`;
    }
    return `<${logicalId}.${attribute}>`;
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, evaluate(v, env, resources)]));
}

/** Every (action, resource) pair the role's policies allow, resolved for `env`. */
function grants(template: Template, roleLogicalIdPrefix: string, env: Environment): string[] {
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, Json> }> };
  const pairs: string[] = [];
  for (const resource of Object.values(json.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
    if (!roles.some((r) => r.startsWith(roleLogicalIdPrefix))) continue;
    type Statement = { Effect: string; Action: string | string[]; Resource: string | string[] };
    const document = evaluate(resource.Properties.PolicyDocument, env, json.Resources) as { Statement: Statement[] };
    for (const statement of document.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of [statement.Action].flat()) {
        for (const arn of [statement.Resource].flat()) pairs.push(`${action} ${arn}`);
      }
    }
  }
  return pairs.sort();
}

const ENVIRONMENTS = [
  { partition: 'aws', region: 'us-east-1', account: '111111111111', urlSuffix: 'amazonaws.com' },
  { partition: 'aws-cn', region: 'cn-north-1', account: '222222222222', urlSuffix: 'amazonaws.com.cn' },
  { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '333333333333', urlSuffix: 'amazonaws.com' },
];

interface GrantOptions {
  readonly guardDuty: boolean;
  readonly detective: boolean;
  readonly securityHub?: boolean;
  readonly discovery: boolean;
  readonly organizationalUnits?: boolean;
  readonly syncSchedule?: boolean;
  readonly protectionPlans?: boolean;
  readonly inspector?: boolean;
  readonly scanTypes?: boolean;
  readonly macie?: boolean;
}

function expectedGrants(env: typeof ENVIRONMENTS[number], options: GrantOptions): string[] {
  const { partition, region, account } = env;
  const where = `${region}:${account}`;
  /** Where each service's actions may act: this account's and region's targets, ledger and stacks. */
  const resources: Record<string, string> = {
    guardduty: `arn:${partition}:guardduty:${where}:detector/*`,
    detective: `arn:${partition}:detective:${where}:graph:*`,
    securityhub: `arn:${partition}:securityhub:${where}:hub/default`,
    ssm: `arn:${partition}:ssm:${where}:parameter/cdk-security-members/*`,
    cloudformation: `arn:${partition}:cloudformation:${where}:stack/*/*`,
    // Inspector's and Macie's member actions support no resource-level permissions.
    inspector2: '*',
    macie2: '*',
  };
  const pairs: string[] = [];
  for (const action of actionsCalledByHandler()) {
    const service = action.split(':')[0];
    if ((service === 'guardduty' && !options.guardDuty) || (service === 'detective' && !options.detective)
      || (service === 'securityhub' && !options.securityHub) || (service === 'inspector2' && !options.inspector)
      || (service === 'macie2' && !options.macie)) continue;
    if (ORGANIZATIONS.has(action)) {
      if (options.organizationalUnits) pairs.push(`${action} *`);
    } else if (action === SYNC_METRIC) {
      if (options.syncSchedule) pairs.push(`${action} *`);
    } else if (DISCOVERY.has(action)) {
      if (options.discovery) pairs.push(`${action} *`);
    } else if (SETTINGS.has(action)) {
      if (options.protectionPlans) pairs.push(`${action} ${resources[service]}`);
    } else if (SCAN_TYPES.has(action)) {
      if (options.scanTypes) pairs.push(`${action} *`);
    } else {
      pairs.push(`${action} ${resources[service]}`);
    }
  }
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
    pairs.push(`${action} arn:${partition}:logs:${region}:${account}:log-group:<SecurityMembersProviderLogs>:*`);
  }
  return pairs;
}

/** `<SecurityMembersProviderLogs1A2B3C4D>` → `<SecurityMembersProviderLogs>`: logical IDs end in a path hash. */
const withoutLogicalIdHashes = (grant: string) => grant.replace(/<(SecurityMembersProvider\w+?)[0-9A-F]{8}>/g, '<$1>');

/** The stack's handler role (logical IDs start with the provider's path). */
const HANDLER_ROLE = 'SecurityMembersProviderHandlerRole';

function synth(build: (stack: Stack) => void, env?: { account: string; region: string }): Template {
  const stack = new Stack(new App(), 'LeastPrivilege', env ? { env } : {});
  build(stack);
  return Template.fromStack(stack);
}

test('the handler imports exactly the member and discovery operations of the services, the ledger\'s and DescribeStacks', () => {
  // A readable anchor for reviewers; the policy tests below use the derived set itself.
  expect([...actionsCalledByHandler()].sort()).toEqual([
    'cloudformation:DescribeStacks', 'cloudwatch:PutMetricData',
    'detective:CreateMembers', 'detective:DeleteMembers', 'detective:GetMembers', 'detective:ListGraphs', 'detective:ListMembers',
    'guardduty:CreateMembers', 'guardduty:DeleteMembers', 'guardduty:DescribeOrganizationConfiguration', 'guardduty:DisassociateMembers',
    'guardduty:GetDetector', 'guardduty:GetMemberDetectors', 'guardduty:GetMembers', 'guardduty:InviteMembers',
    'guardduty:ListDetectors', 'guardduty:ListMembers', 'guardduty:UpdateMemberDetectors',
    'inspector2:AssociateMember', 'inspector2:BatchGetAccountStatus', 'inspector2:DisassociateMember', 'inspector2:Enable',
    'inspector2:GetMember', 'inspector2:ListMembers',
    'macie2:CreateInvitations', 'macie2:CreateMember', 'macie2:DeleteMember', 'macie2:DisassociateMember', 'macie2:GetMember',
    'macie2:ListMembers',
    'organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren',
    'securityhub:CreateMembers', 'securityhub:DeleteMembers', 'securityhub:DescribeHub', 'securityhub:DisassociateMembers',
    'securityhub:GetMembers', 'securityhub:InviteMembers', 'securityhub:ListMembers',
    'ssm:DeleteParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter',
  ]);
});

describe.each(ENVIRONMENTS)('in partition $partition', (env) => {
  const scenarios = [
    { name: 'both services, detector and graph given', guardDuty: true, detective: true, discovery: false },
    { name: 'both services, discovered', guardDuty: true, detective: true, discovery: true },
    { name: 'GuardDuty only', guardDuty: true, detective: false, discovery: false },
    { name: 'Detective only, discovered', guardDuty: false, detective: true, discovery: true },
    { name: 'Security Hub only (its hub needs no discovery)', guardDuty: false, detective: false, securityHub: true, discovery: false },
    { name: 'all three services, discovered', guardDuty: true, detective: true, securityHub: true, discovery: true },
    { name: 'GuardDuty from OUs', guardDuty: true, detective: false, discovery: false, organizationalUnits: true },
    { name: 'GuardDuty with protection plans', guardDuty: true, detective: false, discovery: false, protectionPlans: true },
    { name: 'Security Hub synced daily', guardDuty: false, detective: false, securityHub: true, discovery: false, syncSchedule: true },
    { name: 'all three services from OUs, synced', guardDuty: true, detective: true, securityHub: true, discovery: true, organizationalUnits: true, syncSchedule: true },
    { name: 'Inspector only', guardDuty: false, detective: false, discovery: false, inspector: true },
    { name: 'Inspector with scan types', guardDuty: false, detective: false, discovery: false, inspector: true, scanTypes: true },
    { name: 'Macie only', guardDuty: false, detective: false, discovery: false, macie: true },
    {
      name: 'all five services from OUs, synced, with plans and scan types',
      guardDuty: true,
      detective: true,
      securityHub: true,
      discovery: true,
      organizationalUnits: true,
      syncSchedule: true,
      protectionPlans: true,
      inspector: true,
      scanTypes: true,
      macie: true,
    },
  ];

  test.each(scenarios)('$name: exactly the called actions, on this account\'s and region\'s detectors and graphs', (scenario) => {
    // OUs and the schedule go on the first construct only: one user of a grant is enough for it.
    const sources = {
      ...(scenario.organizationalUnits ? { organizationalUnits: ['ou-ab12-cdef3456'] } : {}),
      ...(scenario.syncSchedule ? { syncSchedule: Schedule.rate(Duration.days(1)) } : {}),
    };
    const build = (stack: Stack) => {
      if (scenario.guardDuty) {
        new GuardDutyMembers(stack, 'GuardDuty', {
          ...sources,
          ...(scenario.discovery ? {} : { detectorId: 'abc123' }),
          ...(scenario.protectionPlans ? { protectionPlans: { s3DataEvents: true } } : {}),
        });
      }
      if (scenario.securityHub) new SecurityHubMembers(stack, 'SecurityHub', scenario.guardDuty ? {} : sources);
      if (scenario.inspector) {
        new InspectorMembers(stack, 'Inspector', { accountIds: ['444444444444'], ...(scenario.scanTypes ? { scanTypes: [InspectorScanType.EC2] } : {}) });
      }
      if (scenario.macie) new MacieMembers(stack, 'Macie', { members: [{ accountId: '444444444444', email: 'data@example.com' }] });
      if (scenario.detective) {
        new DetectiveGraphMembers(stack, 'Detective', scenario.discovery ? {} : {
          graphArn: `arn:${env.partition}:detective:${env.region}:${env.account}:graph:0123456789abcdef0123456789abcdef`,
        });
      }
    };
    // Environment-agnostic (pseudo parameters) and environment-bound stacks resolve alike.
    for (const template of [synth(build), synth(build, { account: env.account, region: env.region })]) {
      const actual = grants(template, HANDLER_ROLE, env).map(withoutLogicalIdHashes);
      expect(actual).toEqual(expectedGrants(env, scenario).sort());
    }
  });
});

test.each([
  ['SecurityMembersProviderFrameworkRole', ['states:StartExecution <Ref SecurityMembersProviderwaiterstatemachine>']],
  ['SecurityMembersProviderFrameworkCompleteRole', []],
])('the framework role %s may only invoke the handler, write its logs (and start the waiter)', (role, extra) => {
  const env = ENVIRONMENTS[0];
  const template = synth((stack) => new GuardDutyMembers(stack, 'GuardDuty'));
  const actual = grants(template, role, env).map(withoutLogicalIdHashes).map((g) => g.replace(/(waiterstatemachine)[0-9A-F]{8}/, '$1'));
  expect([...new Set(actual)]).toEqual([
    'lambda:GetFunction arn:aws:lambda:us-east-1:111111111111:function:<SecurityMembersProviderHandler>',
    'lambda:InvokeFunction arn:aws:lambda:us-east-1:111111111111:function:<SecurityMembersProviderHandler>',
    'lambda:InvokeFunction arn:aws:lambda:us-east-1:111111111111:function:<SecurityMembersProviderHandler>:*',
    'logs:CreateLogStream arn:aws:logs:us-east-1:111111111111:log-group:<SecurityMembersProviderLogs>:*',
    'logs:PutLogEvents arn:aws:logs:us-east-1:111111111111:log-group:<SecurityMembersProviderLogs>:*',
    ...extra,
  ].sort());
});
