/**
 * cdk-nag's AWS Solutions checks on a stack with every construct, the way security teams run
 * them: `Validations.of(app).addPlugins(new AwsSolutionsChecks(app))` makes synth fail on any
 * finding that is not acknowledged.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { DetectiveGraphMembers, GuardDutyMembers, InspectorMembers, InspectorScanType, MacieMembers, SecurityHubMembers } from '../src';

const GRAPH_ARN = 'arn:aws:detective:us-east-1:111111111111:graph:0123456789abcdef0123456789abcdef';
const members = [{ accountId: '222222222222', email: 'workloads@example.com' }];

function everyConstruct(stack: Stack) {
  new GuardDutyMembers(stack, 'GivenDetector', { detectorId: 'abc123', members });
  new GuardDutyMembers(stack, 'DiscoveredDetector', {
    members: [{ accountId: '333333333333', email: 'sandbox@example.com' }],
    protectionPlans: { s3DataEvents: true, runtimeMonitoring: true, eksAddonManagement: true },
  });
  new DetectiveGraphMembers(stack, 'GivenGraph', { graphArn: GRAPH_ARN, members });
  new DetectiveGraphMembers(stack, 'DiscoveredGraph', { members: [{ accountId: '333333333333', email: 'sandbox@example.com' }] });
  // Members from the organization, synced daily: the Organizations and metric grants.
  new SecurityHubMembers(stack, 'Hub', { members, organizationalUnits: ['ou-ab12-cdef3456'], syncSchedule: Schedule.rate(Duration.days(1)) });
  // The two services whose member actions support no resource-level permissions.
  new InspectorMembers(stack, 'Inspector', { accountIds: ['222222222222'], scanTypes: [InspectorScanType.EC2] });
  new MacieMembers(stack, 'Macie', { members });
}

/** Every acknowledgement recorded in the tree: path → rule IDs with their reasons. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => ({ path: c.node.path, id, reason })));
}

function synthWithNag(build: (stack: Stack) => void, environmentAgnostic = false) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Nag', environmentAgnostic ? {} : { env: { account: '111111111111', region: 'us-east-1' } });
  build(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, synth: () => app.synth() };
}

test.each([
  ['account and region given', false],
  ['environment-agnostic', true],
])('AwsSolutionsChecks: no unacknowledged finding on a stack with every construct (%s)', (_name, agnostic) => {
  const { synth } = synthWithNag(everyConstruct, agnostic);
  expect(synth).not.toThrow();
});

test('each acknowledgement exists only with the grant it covers', () => {
  const { stack, synth } = synthWithNag((s) => new GuardDutyMembers(s, 'GivenDetector', { detectorId: 'abc123', members }));
  expect(synth).not.toThrow();
  expect(acknowledgements(stack).map((a) => a.id).sort()).toEqual([
    // The Provider framework's two roles (onEvent; isComplete and timeout) on the handler.
    'AwsSolutions::AwsSolutions-IAM5[Resource::<SecurityMembersProviderHandlerE8328A2E.Arn>:*]',
    'AwsSolutions::AwsSolutions-IAM5[Resource::<SecurityMembersProviderHandlerE8328A2E.Arn>:*]',
    // The framework's waiter state machine.
    'AwsSolutions::AwsSolutions-IAM5[Resource::<SecurityMembersProviderframeworkisCompleteAEDF870B.Arn>:*]',
    'AwsSolutions::AwsSolutions-IAM5[Resource::<SecurityMembersProviderframeworkonTimeoutF1EA1FCC.Arn>:*]',
    'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:us-east-1:111111111111:stack/*/*]',
    'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:us-east-1:111111111111:detector/*]',
    'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:us-east-1:111111111111:parameter/cdk-security-members/*]',
    'AwsSolutions::AwsSolutions-SF1',
    'AwsSolutions::AwsSolutions-SF2',
  ]);
});

test('the protection plans\' policy is acknowledged on its own, only with protectionPlans', () => {
  const { stack, synth } = synthWithNag((s) => new GuardDutyMembers(s, 'Plans', { detectorId: 'abc123', members, protectionPlans: { s3DataEvents: true } }));
  expect(synth).not.toThrow();
  expect(acknowledgements(stack).filter((a) => a.path.endsWith('GuardDutySettingsPolicy/Resource') || a.path.endsWith('GuardDutySettingsPolicy')))
    .toEqual([expect.objectContaining({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:us-east-1:111111111111:detector/*]',
      reason: expect.stringMatching(/^GuardDuty member settings \(guardduty:GetMemberDetectors, guardduty:UpdateMemberDetectors\)/),
    })]);
});

test('the Organizations and sync-metric grants on `*` are acknowledged only with the props that need them, each with its own reason', () => {
  const wildcardReasons = (props: object) => {
    const { stack, synth } = synthWithNag((s) => new SecurityHubMembers(s, 'Hub', { members, ...props }));
    expect(synth).not.toThrow();
    return acknowledgements(stack).filter((a) => a.id === 'AwsSolutions::AwsSolutions-IAM5[Resource::*]').map((a) => a.reason);
  };
  expect(wildcardReasons({})).toEqual([]);
  expect(wildcardReasons({ organizationalUnits: ['ou-ab12-cdef3456'] })).toEqual([expect.stringMatching(/^Organizations read-only listings/)]);
  expect(wildcardReasons({ syncSchedule: Schedule.rate(Duration.days(1)) })).toEqual([expect.stringMatching(/^cloudwatch:PutMetricData/)]);
});

test('Inspector\'s and Macie\'s grants on `*` are acknowledged each with its own reason, the scan types only with scanTypes', () => {
  const wildcardReasons = (build: (s: Stack) => void) => {
    const { stack, synth } = synthWithNag(build);
    expect(synth).not.toThrow();
    return acknowledgements(stack).filter((a) => a.id === 'AwsSolutions::AwsSolutions-IAM5[Resource::*]').map((a) => `${a.path}: ${a.reason}`);
  };
  expect(wildcardReasons((s) => new InspectorMembers(s, 'Inspector', { accountIds: ['222222222222'] }))).toEqual([
    expect.stringMatching(/HandlerRole: Inspector member actions \(inspector2:AssociateMember, .*\) support no resource-level permissions/),
  ]);
  expect(wildcardReasons((s) => new InspectorMembers(s, 'Inspector', { accountIds: ['222222222222'], scanTypes: [InspectorScanType.ECR] }))).toEqual([
    expect.stringMatching(/HandlerRole: Inspector member actions/),
    expect.stringMatching(/InspectorSettingsPolicy: Inspector member settings \(inspector2:BatchGetAccountStatus, inspector2:Enable\) support no resource-level permissions/),
  ]);
  expect(wildcardReasons((s) => new MacieMembers(s, 'Macie', { members }))).toEqual([
    expect.stringMatching(/HandlerRole: Macie member actions \(macie2:CreateInvitations, .*\) support no resource-level permissions/),
  ]);
});

test('the checks do run: a finding on the user\'s own resource still fails synth', () => {
  const { synth } = synthWithNag((stack) => {
    everyConstruct(stack);
    // A role with a wildcard action (AwsSolutions-IAM5) that the library did not create.
    new iam.Role(stack, 'UserRole', { assumedBy: new iam.AccountRootPrincipal() })
      .addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
  });
  expect(synth).toThrow();
});

test('every acknowledgement is on the library\'s own provider, has a reason, and is listed in docs/permissions.md', () => {
  // Environment-agnostic, as docs/permissions.md lists them (pseudo parameters for account and region).
  const { stack } = synthWithNag(everyConstruct, true);
  const acks = acknowledgements(stack);
  expect(acks.length).toBeGreaterThan(0);
  const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'permissions.md'), 'utf8');
  for (const ack of acks) {
    expect(ack.path).toMatch(/^Nag\/SecurityMembersProvider(\/|$)/);
    expect(ack.reason.length).toBeGreaterThan(40);
    expect(readme).toContain(`\`${ack.id}\``);
  }
  expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toMatchSnapshot();
});
