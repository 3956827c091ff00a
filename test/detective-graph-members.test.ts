import { CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DetectiveGraphMembers, GuardDutyMembers } from '../src';
import { maskedTemplate, newStack, snapshotStack, synthTwice } from './util';

const GRAPH = 'arn:aws:detective:us-east-1:111111111111:graph:0123456789abcdef0123456789abcdef';
const members = [
  { accountId: '333333333333', email: 'sandbox@example.com' },
  { accountId: '222222222222', email: 'workloads@example.com' },
];

test('declares the members with the contract defaults', () => {
  const stack = newStack();
  new DetectiveGraphMembers(stack, 'Members', { graphArn: GRAPH, members, message: 'Join', disableEmailNotification: true });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('Custom::DetectiveGraphMembers', {
    Service: 'Detective',
    GraphArn: GRAPH,
    Members: ['222222222222:workloads@example.com', '333333333333:sandbox@example.com'],
    Message: 'Join',
    DisableEmailNotification: true,
    FailOnUnprocessed: true,
    Invite: Match.absent(),
    MemberRemoval: Match.absent(),
  });
  template.hasResource('Custom::DetectiveGraphMembers', { DeletionPolicy: 'Delete' });
});

test('RETAIN and failOnUnprocessed false', () => {
  const stack = newStack();
  new DetectiveGraphMembers(stack, 'Members', { removalPolicy: RemovalPolicy.RETAIN, failOnUnprocessed: false });
  const template = Template.fromStack(stack);
  // The custom resource is always deleted (its claim goes); the handler keeps the members.
  template.hasResource('Custom::DetectiveGraphMembers', { DeletionPolicy: 'Delete' });
  template.hasResourceProperties('Custom::DetectiveGraphMembers', { FailOnUnprocessed: false, GraphArn: Match.absent(), RemovalPolicy: 'RETAIN' });
});

test('graphArn is the resource Ref; addMember is declared', () => {
  const stack = newStack();
  const graph = new DetectiveGraphMembers(stack, 'Members');
  graph.addMember({ accountId: '444444444444', email: 'data@example.com' });
  expect(stack.resolve(graph.graphArn)).toEqual({ Ref: expect.stringMatching(/^Members/) });
  Template.fromStack(stack).hasResourceProperties('Custom::DetectiveGraphMembers', { Members: ['444444444444:data@example.com'] });
});

describe('permissions', () => {
  function statements(stack: Stack) {
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('HandlerRole') } });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  }

  test('member actions only on the stack account\'s and region\'s graphs; ListGraphs only for discovery', () => {
    const stack = newStack();
    new DetectiveGraphMembers(stack, 'Members', { graphArn: GRAPH });
    const given = statements(stack);
    expect(given).toContainEqual({
      Sid: 'DetectiveMembers',
      Effect: 'Allow',
      Action: ['detective:CreateMembers', 'detective:DeleteMembers', 'detective:GetMembers', 'detective:ListMembers'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':detective:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':graph:*']] },
    });
    expect(JSON.stringify(given)).not.toContain('ListGraphs');
    expect(JSON.stringify(given)).not.toContain('guardduty:');

    const discovering = newStack();
    new DetectiveGraphMembers(discovering, 'Members');
    expect(statements(discovering)).toContainEqual({ Sid: 'DetectiveDiscovery', Effect: 'Allow', Action: 'detective:ListGraphs', Resource: '*' });
  });

  test('GuardDuty and Detective share one handler and one role', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'GuardDuty', { members });
    new DetectiveGraphMembers(stack, 'Detective', { members });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
    expect(statements(stack).map((s: { Sid?: string }) => s.Sid).filter(Boolean).sort()).toEqual(['DetectiveDiscovery', 'DetectiveMembers', 'GuardDutyDiscovery', 'GuardDutyMembers', 'OwnershipLedger', 'StackStatus']);
  });
});

describe('synth-time validation', () => {
  test.each<[string, object, RegExp]>([
    ['graph ARN not matching the pattern', { graphArn: 'arn:aws:detective:us-east-1:111111111111:graph:XYZ' }, /graphArn 'arn:aws:detective:us-east-1:111111111111:graph:XYZ' is not a Detective behavior graph ARN/],
    ['message empty', { message: '' }, /message must be 1 to 1000 characters, got 0/],
    ['message too long', { message: 'x'.repeat(1001) }, /message must be 1 to 1000 characters, got 1001/],
    ['account ID not 12 digits', { members: [{ accountId: 'abc', email: 'a@example.com' }] }, /members\[0\]\.accountId 'abc' is not a 12-digit AWS account ID/],
    ['email not an address', { members: [{ accountId: '222222222222', email: 'a@' }] }, /members\[0\]\.email 'a@' \(account 222222222222\) is not an email address/],
    ['duplicate account', { members: [members[0], members[0]] }, /members\[1\]\.accountId '333333333333' is declared twice/],
  ])('%s', (_name, props, message) => {
    expect(() => new DetectiveGraphMembers(newStack(), 'Members', props)).toThrow(message);
  });

  test('a graph of another region or account is refused', () => {
    const stack = newStack({ env: { account: '111111111111', region: 'eu-west-1' } });
    expect(() => new DetectiveGraphMembers(stack, 'Members', { graphArn: GRAPH })).toThrow(/graphArn '.*' is in region us-east-1, but this stack deploys to eu-west-1/);
    const other = newStack({ env: { account: '999999999999', region: 'us-east-1' } });
    expect(() => new DetectiveGraphMembers(other, 'Members', { graphArn: GRAPH })).toThrow(/belongs to account 111111111111, but this stack deploys to 999999999999/);
  });

  test('the stack\'s own account cannot be a member', () => {
    const stack = newStack({ env: { account: '333333333333', region: 'us-east-1' } });
    expect(() => new DetectiveGraphMembers(stack, 'Members', { members })).toThrow(/members\[0\]\.accountId '333333333333' is this stack's own account/);
  });

  test('more than 1,200 members is refused', () => {
    const graph = new DetectiveGraphMembers(newStack(), 'Members');
    for (let i = 0; i < 1200; i++) {
      graph.addMember({ accountId: String(100000000000 + i), email: 'a@example.com' });
    }
    expect(() => graph.addMember({ accountId: '999999999999', email: 'a@example.com' })).toThrow(/1201 members declared, but Detective allows at most 1200 per behavior graph/);
  });

  test('unresolved tokens pass through', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'Graph').valueAsString;
    const message = new CfnParameter(stack, 'Message').valueAsString;
    new DetectiveGraphMembers(stack, 'Members', { graphArn: arn, message });
    Template.fromStack(stack).hasResourceProperties('Custom::DetectiveGraphMembers', { GraphArn: { Ref: 'Graph' }, Message: { Ref: 'Message' } });
  });
});

describe('snapshots', () => {
  const build = (stack: Stack) => {
    new DetectiveGraphMembers(stack, 'DetectiveMembers', { graphArn: GRAPH, members, message: 'Welcome' });
  };

  test('template', () => {
    expect(maskedTemplate(snapshotStack(build).stack)).toMatchSnapshot();
  });

  test('two synths of the same app give byte-identical templates', () => {
    const [first, second] = synthTwice(build);
    expect(second).toBe(first);
  });
});
