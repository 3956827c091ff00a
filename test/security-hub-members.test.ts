import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DetectiveGraphMembers, GuardDutyMembers, SecurityHubMembers } from '../src';
import { maskedTemplate, newStack, snapshotStack, synthTwice } from './util';

const members = [
  { accountId: '333333333333', email: 'sandbox@example.com' },
  { accountId: '222222222222', email: 'workloads@example.com' },
];

test('declares the members of the stack\'s hub, sorted, with the defaults', () => {
  const stack = newStack();
  const hub = new SecurityHubMembers(stack, 'Members', { members });
  Template.fromStack(stack).hasResourceProperties('Custom::SecurityHubMembers', {
    Service: 'SecurityHub',
    Members: ['222222222222:workloads@example.com', '333333333333:sandbox@example.com'],
    Invite: true,
    FailOnUnprocessed: true,
    RemovalPolicy: 'DESTROY',
    Schema: '2',
    DetectorId: Match.absent(),
    GraphArn: Match.absent(),
  });
  expect(stack.resolve(hub.hubArn)).toEqual({ Ref: expect.stringMatching(/^Members/) });
});

test('every option reaches the resource; addMember declares more', () => {
  const stack = newStack();
  const hub = new SecurityHubMembers(stack, 'Members', { invite: false, removalPolicy: RemovalPolicy.RETAIN, failOnUnprocessed: false, maxRemovals: 3 });
  hub.addMember({ accountId: '444444444444', email: 'data@example.com' });
  Template.fromStack(stack).hasResourceProperties('Custom::SecurityHubMembers', {
    Invite: false, RemovalPolicy: 'RETAIN', FailOnUnprocessed: false, MaxRemovals: 3, Members: ['444444444444:data@example.com'],
  });
});

test('member actions only on the stack account\'s and region\'s hub; nothing on *', () => {
  const stack = newStack();
  new SecurityHubMembers(stack, 'Members', { members });
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('HandlerRole') } });
  const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  expect(statements).toContainEqual({
    Sid: 'SecurityHubMembers',
    Effect: 'Allow',
    Action: [
      'securityhub:CreateMembers', 'securityhub:DeleteMembers', 'securityhub:DescribeHub', 'securityhub:DisassociateMembers',
      'securityhub:GetMembers', 'securityhub:InviteMembers', 'securityhub:ListMembers',
    ],
    Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':hub/default']] },
  });
  expect(statements.filter((s: { Resource: unknown }) => s.Resource === '*')).toEqual([]);
});

test('a stack with all three constructs has one handler Lambda', () => {
  const stack = newStack();
  new GuardDutyMembers(stack, 'GuardDuty', { members });
  new DetectiveGraphMembers(stack, 'Detective', { members });
  new SecurityHubMembers(stack, 'SecurityHub', { members });
  Template.fromStack(stack).resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
});

describe('synth-time validation', () => {
  test.each<[string, object, RegExp]>([
    ['account ID not 12 digits', { members: [{ accountId: '1234', email: 'a@example.com' }] }, /members\[0\]\.accountId '1234' is not a 12-digit AWS account ID/],
    ['duplicate account', { members: [...members, members[0]] }, /members\[2\]\.accountId '333333333333' is declared twice/],
    ['snapshot removal policy', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy 'snapshot' is not supported/],
    ['negative maxRemovals', { maxRemovals: -2 }, /maxRemovals -2 is not a non-negative integer/],
  ])('%s', (_name, props, message) => {
    expect(() => new SecurityHubMembers(newStack(), 'Members', props)).toThrow(message);
  });

  test('more than 10,000 members is refused', () => {
    const hub = new SecurityHubMembers(newStack(), 'Members');
    for (let i = 0; i < 10_000; i++) hub.addMember({ accountId: String(100000000000 + i), email: 'a@example.com' });
    expect(() => hub.addMember({ accountId: '999999999998', email: 'a@example.com' })).toThrow(/10001 members declared, but SecurityHub allows at most 10000 per administrator account/);
  });

  test('the stack\'s own account cannot be a member', () => {
    const stack = newStack({ env: { account: '222222222222', region: 'us-east-1' } });
    expect(() => new SecurityHubMembers(stack, 'Members', { members })).toThrow(/is this stack's own account/);
  });
});

describe('snapshots', () => {
  const build = (stack: Stack) => {
    new SecurityHubMembers(stack, 'SecurityHubMembers', { members });
  };

  test('template', () => {
    expect(maskedTemplate(snapshotStack(build).stack)).toMatchSnapshot();
  });

  test('two synths of the same app give byte-identical templates', () => {
    const [first, second] = synthTwice(build);
    expect(second).toBe(first);
  });
});
