import { Aws, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { DetectiveGraphMembers, GuardDutyMembers, InspectorMembers, MacieMembers, MemberAccount, OrganizationSourceProps, SecurityHubMembers } from '../src';
import { newStack } from './util';

const OU = 'ou-a1b2-11111111';
const NESTED_OU = 'ou-a1b2-22222222';
const ROOT = 'r-a1b2';

/** InspectorMembers as the others are used here: its accounts by ID (`accountIds`, `addAccount()`). */
function inspector(s: Stack, id: string, p: OrganizationSourceProps & { members?: MemberAccount[] }) {
  const { members, ...sources } = p;
  const construct = new InspectorMembers(s, id, { ...sources, accountIds: members?.map((m) => m.accountId) });
  return {
    resource: construct.resource,
    metricSyncFailures: construct.metricSyncFailures.bind(construct),
    addMember: (m: MemberAccount) => construct.addAccount(m.accountId),
  };
}

/** Each construct, with the props they share. */
const CONSTRUCTS = [
  { name: 'GuardDutyMembers', type: 'Custom::GuardDutyMembers', add: (s: Stack, id: string, p: OrganizationSourceProps & { members?: { accountId: string; email: string }[] }) => new GuardDutyMembers(s, id, { detectorId: 'abc123', ...p }) },
  { name: 'DetectiveGraphMembers', type: 'Custom::DetectiveGraphMembers', add: (s: Stack, id: string, p: OrganizationSourceProps & { members?: { accountId: string; email: string }[] }) => new DetectiveGraphMembers(s, id, { ...p }) },
  { name: 'SecurityHubMembers', type: 'Custom::SecurityHubMembers', add: (s: Stack, id: string, p: OrganizationSourceProps & { members?: { accountId: string; email: string }[] }) => new SecurityHubMembers(s, id, { ...p }) },
  { name: 'InspectorMembers', type: 'Custom::InspectorMembers', add: inspector },
  { name: 'MacieMembers', type: 'Custom::MacieMembers', add: (s: Stack, id: string, p: OrganizationSourceProps & { members?: { accountId: string; email: string }[] }) => new MacieMembers(s, id, { ...p }) },
];

const handlerStatements = (stack: Stack) => {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('HandlerRole') } });
  type Statement = { Sid: string; Action: string[] | string; Resource: unknown; Condition?: unknown };
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
};

describe.each(CONSTRUCTS)('$name', ({ type, add }) => {
  test('organizational units and exclusions reach the resource; Organizations read on * is granted only with them', () => {
    const stack = newStack();
    add(stack, 'Members', { organizationalUnits: [OU, ROOT], excludeAccounts: ['444444444444'] });
    Template.fromStack(stack).hasResourceProperties(type, { OrganizationalUnits: [OU, ROOT], ExcludeAccounts: ['444444444444'] });
    expect(handlerStatements(stack).find((s) => s.Sid === 'OrganizationsRead')).toEqual(expect.objectContaining({
      Action: ['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren'],
      Resource: '*',
    }));

    const plain = newStack();
    add(plain, 'Members', { members: [{ accountId: '222222222222', email: 'a@example.com' }] });
    Template.fromStack(plain).hasResourceProperties(type, { OrganizationalUnits: Match.absent(), ExcludeAccounts: Match.absent() });
    expect(handlerStatements(plain).map((s) => s.Sid)).not.toContain('OrganizationsRead');
    expect(JSON.stringify(handlerStatements(plain))).not.toMatch(/organizations:|cloudwatch:/);
    Template.fromStack(plain).resourceCountIs('AWS::Events::Rule', 0);
  });

  test('a sync schedule: a rule that invokes the handler with the claim to sync, no retries; metric rights only in the library\'s namespace', () => {
    const stack = newStack();
    const construct = add(stack, 'Members', { organizationalUnits: [OU], syncSchedule: events.Schedule.rate(Duration.hours(12)) });
    const template = Template.fromStack(stack);
    const resourceId = stack.getLogicalId(construct.resource.node.defaultChild as never);
    const service = type.replace('Custom::', '').replace('GraphMembers', '').replace('Members', '');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(12 hours)',
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecurityMembersProviderHandler'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
        Input: {
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`"CdkSecurityMembersSync":\\{"Service":"${service}","Target":"`)])],
        },
      })],
    });
    const input = JSON.stringify(template.findResources('AWS::Events::Rule'));
    expect(input).toContain(`\\"LogicalId\\":\\"${resourceId}\\"`);
    expect(input).toContain('{"Ref":"AWS::StackId"}');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MembersSyncSchedule'), 'Arn'] },
    });
    expect(handlerStatements(stack).find((s) => s.Sid === 'SyncFailureMetric')).toEqual(expect.objectContaining({
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkSecurityMembers' } },
    }));
  });

  test('metricSyncFailures: the sync failure metric of this resource, Sum over 5 minutes unless told', () => {
    const stack = newStack();
    const construct = add(stack, 'Members', { syncSchedule: events.Schedule.rate(Duration.days(1)) });
    const metric = construct.metricSyncFailures();
    expect(metric.namespace).toBe('CdkSecurityMembers');
    expect(metric.metricName).toBe('SyncFailures');
    expect(metric.statistic).toBe('Sum');
    expect(metric.period.toMinutes()).toBe(5);
    expect(stack.resolve(metric.dimensions)).toEqual({ Service: type.replace('Custom::', '').replace('GraphMembers', '').replace('Members', ''), Target: { Ref: expect.stringMatching(/^Members/) } });
    expect(construct.metricSyncFailures({ period: Duration.days(1) }).period.toDays()).toBe(1);
  });

  test.each([
    [{ organizationalUnits: ['ou-bad'] }, "organizationalUnits[0] 'ou-bad' is not an OU ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx)"],
    [{ organizationalUnits: ['222222222222'] }, "organizationalUnits[0] '222222222222' is not an OU ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx)"],
    [{ organizationalUnits: [OU, NESTED_OU, OU] }, `organizationalUnits[2] '${OU}' is listed twice`],
    [{ organizationalUnits: [OU], excludeAccounts: ['12345'] }, "excludeAccounts[0] '12345' is not a 12-digit account ID"],
    [{ organizationalUnits: [OU], excludeAccounts: ['444444444444', '444444444444'] }, "excludeAccounts[1] '444444444444' is listed twice"],
    [{ excludeAccounts: ['444444444444'] }, 'excludeAccounts only leaves out accounts of organizationalUnits, and there are none'],
  ])('synth-time validation: %j', (props, message) => {
    expect(() => add(newStack(), 'Members', props)).toThrow(expect.objectContaining({ message, constructPath: 'TestStack/Members' }));
  });

  test('an account both declared in members (or addMember) and excluded is a synth error', () => {
    const stack = newStack();
    const construct = add(stack, 'Members', { organizationalUnits: [OU], excludeAccounts: ['444444444444', '555555555555'], members: [{ accountId: '444444444444', email: 'a@example.com' }] });
    construct.addMember({ accountId: '555555555555', email: 'b@example.com' });
    expect(() => Template.fromStack(stack)).toThrow(/excludeAccounts: 444444444444, 555555555555 are also declared in members/);
  });

  test('tokens pass synth and are validated at deploy time', () => {
    const stack = newStack();
    add(stack, 'Members', { organizationalUnits: [Aws.ACCOUNT_ID], excludeAccounts: [Aws.ACCOUNT_ID] });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('each resource carries the other constructs\' organizational units (Siblings), so moves between them are safe', () => {
    const stack = newStack();
    add(stack, 'A', { organizationalUnits: [OU] });
    add(stack, 'B', { organizationalUnits: [NESTED_OU], members: [{ accountId: '222222222222', email: 'a@example.com' }] });
    const resources = Template.fromStack(stack).findResources(type);
    const siblingsOf = (prefix: string) => Object.entries(resources).find(([id]) => id.startsWith(prefix))![1].Properties.Siblings;
    expect(siblingsOf('A')).toEqual({ Accounts: expect.any(String), Units: [{ OrganizationalUnits: [NESTED_OU] }] });
    expect(siblingsOf('B')).toEqual({ Units: [{ OrganizationalUnits: [OU] }] });
  });

  test('each sibling\'s units travel with its own exclusions: an account one construct excludes may be in another\'s OU', () => {
    const stack = newStack();
    add(stack, 'A', { organizationalUnits: [OU], excludeAccounts: ['333333333333'] });
    add(stack, 'B', { organizationalUnits: [NESTED_OU] });
    add(stack, 'C', { members: [{ accountId: '222222222222', email: 'a@example.com' }] });
    const resources = Template.fromStack(stack).findResources(type);
    const siblingsOf = (prefix: string) => Object.entries(resources).find(([id]) => id.startsWith(prefix))![1].Properties.Siblings;
    expect(siblingsOf('C').Units).toEqual([{ OrganizationalUnits: [OU], ExcludeAccounts: ['333333333333'] }, { OrganizationalUnits: [NESTED_OU] }]);
  });
});
