import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  DetectiveGraphMembers, GuardDutyMembers, InspectorMembers, InspectorScanType, MacieMembers, SecurityHubMembers,
} from '../src';
import { maskedTemplate, newStack, snapshotStack, synthTwice } from './util';
import { decodeAccounts } from '../src/private/ledger/codec';
import { SETTINGS_ENVIRONMENT } from '../src/private/properties';

const TYPE = 'Custom::InspectorMembers';

function statementsOf(stack: Stack) {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('custom resource', () => {
  test('declares the accounts, sorted, without emails, with the contract defaults', () => {
    const stack = newStack();
    new InspectorMembers(stack, 'Members', { accountIds: ['333333333333', '222222222222'] });
    Template.fromStack(stack).hasResourceProperties(TYPE, {
      Service: 'Inspector',
      Members: ['222222222222:', '333333333333:'],
      // Inspector invites nobody and keeps no record to delete: disassociating is removing.
      Invite: false,
      MemberRemoval: 'DISASSOCIATE',
      FailOnUnprocessed: true,
      RemovalPolicy: 'DESTROY',
      ScanTypes: Match.absent(),
      DetectorId: Match.absent(),
      Message: Match.absent(),
      Schema: '2',
    });
    Template.fromStack(stack).hasResource(TYPE, { DeletionPolicy: 'Delete' });
  });

  test('every option reaches the resource; addAccount declares more', () => {
    const stack = newStack();
    const inspector = new InspectorMembers(stack, 'Members', {
      scanTypes: [InspectorScanType.LAMBDA_CODE, InspectorScanType.EC2],
      removalPolicy: RemovalPolicy.RETAIN,
      failOnUnprocessed: false,
      maxRemovals: 4,
    });
    inspector.addAccount('444444444444');
    Template.fromStack(stack).hasResourceProperties(TYPE, {
      Members: ['444444444444:'],
      ScanTypes: ['LAMBDA_CODE', 'EC2'],
      RemovalPolicy: 'RETAIN',
      FailOnUnprocessed: false,
      MaxRemovals: 4,
    });
  });

  test('an empty scanTypes list manages no scan type (and grants nothing for them)', () => {
    const stack = newStack();
    new InspectorMembers(stack, 'Members', { accountIds: ['222222222222'], scanTypes: [] });
    Template.fromStack(stack).hasResourceProperties(TYPE, { ScanTypes: Match.absent() });
    expect(JSON.stringify(statementsOf(stack))).not.toMatch(/inspector2:Enable|BatchGetAccountStatus/);
  });
});

describe('permissions', () => {
  test('the member actions on * (Inspector has no resource-level permissions for them); nothing to discover', () => {
    const stack = newStack();
    new InspectorMembers(stack, 'Members', { accountIds: ['222222222222'] });
    expect(statementsOf(stack)).toContainEqual({
      Sid: 'InspectorMembers',
      Effect: 'Allow',
      Action: ['inspector2:AssociateMember', 'inspector2:DisassociateMember', 'inspector2:GetMember', 'inspector2:ListMembers'],
      Resource: '*',
    });
    expect(JSON.stringify(statementsOf(stack))).not.toMatch(/inspector2:(Enable|BatchGetAccountStatus|List(?!Members))/);
  });

  test('Enable and BatchGetAccountStatus only with scanTypes, in a policy of their own that the resource depends on', () => {
    const stack = newStack();
    new InspectorMembers(stack, 'Members', { accountIds: ['222222222222'], scanTypes: [InspectorScanType.ECR] });
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('InspectorSettingsPolicy') } });
    const [[policyId, policy]] = Object.entries(policies);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Sid: 'InspectorMemberSettings', Effect: 'Allow', Action: ['inspector2:BatchGetAccountStatus', 'inspector2:Enable'], Resource: '*',
    }]);
    template.hasResource(TYPE, { DependsOn: Match.arrayWith([policyId]) });
    // The handler knows its role may read and write the scan types.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ [SETTINGS_ENVIRONMENT]: 'Inspector' }) },
    });
  });

  test('a stack with all five services has one handler Lambda', () => {
    const stack = newStack();
    const members = [{ accountId: '222222222222', email: 'workloads@example.com' }];
    new GuardDutyMembers(stack, 'GuardDuty', { members });
    new DetectiveGraphMembers(stack, 'Detective', { members });
    new SecurityHubMembers(stack, 'SecurityHub', { members });
    new InspectorMembers(stack, 'Inspector', { accountIds: ['222222222222'] });
    new MacieMembers(stack, 'Macie', { members });
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
  });
});

describe('synth-time validation', () => {
  test.each<[string, () => object, RegExp]>([
    ['account ID not 12 digits', () => ({ accountIds: ['1234'] }), /accountIds\[0\] '1234' is not a 12-digit AWS account ID/],
    ['a numeric account ID', () => ({ accountIds: [222222222222 as unknown as string] }), /accountIds\[0\] is the number 222222222222, not a string/],
    ['duplicate account', () => ({ accountIds: ['222222222222', '222222222222'] }), /accountIds\[1\] '222222222222' is declared twice/],
    ['unknown scan type', () => ({ scanTypes: ['EC2', 'ECS'] }), /scanTypes\[1\] 'ECS' is not one of EC2, ECR, LAMBDA, LAMBDA_CODE, CODE_REPOSITORY/],
    ['scan type listed twice', () => ({ scanTypes: [InspectorScanType.ECR, InspectorScanType.ECR] }), /scanTypes\[1\] 'ECR' is listed twice/],
    ['snapshot removal policy', () => ({ removalPolicy: RemovalPolicy.SNAPSHOT }), /removalPolicy 'snapshot' is not supported/],
    ['negative maxRemovals', () => ({ maxRemovals: -2 }), /maxRemovals -2 is not a non-negative integer/],
    ['bad OU', () => ({ organizationalUnits: ['ou-x'] }), /organizationalUnits\[0\] 'ou-x' is not an OU ID/],
  ])('%s', (_name, props, message) => {
    expect(() => new InspectorMembers(newStack(), 'Members', props())).toThrow(message);
  });

  test('addAccount validates too, naming addAccount()', () => {
    const inspector = new InspectorMembers(newStack(), 'Members', { accountIds: ['222222222222'] });
    expect(() => inspector.addAccount('22')).toThrow(/addAccount\(\) '22' is not a 12-digit AWS account ID/);
    expect(() => inspector.addAccount('222222222222')).toThrow(/addAccount\(\) '222222222222' is declared twice/);
  });

  test('the stack\'s own account cannot be a member', () => {
    const stack = newStack({ env: { account: '222222222222', region: 'us-east-1' } });
    expect(() => new InspectorMembers(stack, 'Members', { accountIds: ['222222222222'] })).toThrow(/is this stack's own account/);
  });

  test('more than 10,000 members is refused', () => {
    const inspector = new InspectorMembers(newStack(), 'Members');
    for (let i = 0; i < 10_000; i++) inspector.addAccount(String(100000000000 + i));
    expect(() => inspector.addAccount('999999999998')).toThrow(/10001 members declared, but Inspector allows at most 10000 per delegated administrator/);
  });

  test('unresolved tokens pass through', () => {
    const stack = newStack();
    const account = new CfnParameter(stack, 'Account').valueAsString;
    new InspectorMembers(stack, 'Members', { accountIds: [account] });
    Template.fromStack(stack).hasResourceProperties(TYPE, { Members: [{ 'Fn::Join': ['', [{ Ref: 'Account' }, ':']] }] });
  });
});

describe('declarations across constructs', () => {
  function siblingsOf(stack: Stack, logicalIdPrefix: string): string[] {
    const [, resource] = Object.entries(Template.fromStack(stack).findResources(TYPE)).find(([id]) => id.startsWith(logicalIdPrefix))!;
    return decodeAccounts(resource.Properties.Siblings?.Accounts);
  }

  test('each resource carries the accounts the stack\'s other Inspector constructs declare', () => {
    const stack = newStack();
    new InspectorMembers(stack, 'Workloads', { accountIds: ['222222222222'] });
    new InspectorMembers(stack, 'Sandbox', { accountIds: ['333333333333'] });
    new MacieMembers(stack, 'Macie', { members: [{ accountId: '444444444444', email: 'a@example.com' }] });
    expect(siblingsOf(stack, 'Workloads')).toEqual(['333333333333']);
    expect(siblingsOf(stack, 'Sandbox')).toEqual(['222222222222']);
  });

  test('the same account in two Inspector constructs of one account and region fails synth, naming both', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'us-east-1' };
    new InspectorMembers(new Stack(app, 'One', { env }), 'Members', { accountIds: ['222222222222'] });
    new InspectorMembers(new Stack(app, 'Two', { env }), 'Members', { accountIds: ['222222222222'] });
    expect(() => app.synth()).toThrow(/account 222222222222 declared by both One\/Members and Two\/Members on the same Inspector delegated administrator/);
  });

  test('the same account for Inspector and for another service is no conflict', () => {
    const app = new App();
    const stack = new Stack(app, 'Security', { env: { account: '111111111111', region: 'us-east-1' } });
    new InspectorMembers(stack, 'Inspector', { accountIds: ['222222222222'] });
    new GuardDutyMembers(stack, 'GuardDuty', { members: [{ accountId: '222222222222', email: 'a@example.com' }] });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('snapshots', () => {
  const build = (stack: Stack) => {
    new InspectorMembers(stack, 'InspectorMembers', { accountIds: ['222222222222', '333333333333'], scanTypes: [InspectorScanType.EC2, InspectorScanType.ECR] });
  };

  test('template', () => {
    expect(maskedTemplate(snapshotStack(build).stack)).toMatchSnapshot();
  });

  test('two synths of the same app give byte-identical templates', () => {
    const [first, second] = synthTwice(build);
    expect(second).toBe(first);
  });
});
