import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GuardDutyMembers, InspectorMembers, MacieMembers } from '../src';
import { maskedTemplate, newStack, snapshotStack, synthTwice } from './util';
import { decodeAccounts } from '../src/private/ledger/codec';
import { SETTINGS_ENVIRONMENT } from '../src/private/properties';

const TYPE = 'Custom::MacieMembers';
const members = [
  { accountId: '333333333333', email: 'sandbox@example.com' },
  { accountId: '222222222222', email: 'workloads@example.com' },
];

function statementsOf(stack: Stack) {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('custom resource', () => {
  test('declares the members, sorted, with the contract defaults', () => {
    const stack = newStack();
    new MacieMembers(stack, 'Members', { members });
    const template = Template.fromStack(stack);
    template.hasResourceProperties(TYPE, {
      Service: 'Macie',
      Members: ['222222222222:workloads@example.com', '333333333333:sandbox@example.com'],
      Invite: true,
      Message: Match.absent(),
      DisableEmailNotification: false,
      MemberRemoval: 'DELETE',
      FailOnUnprocessed: true,
      RemovalPolicy: 'DESTROY',
      Schema: '2',
    });
    template.hasResource(TYPE, { DeletionPolicy: 'Delete' });
  });

  test('every option reaches the resource; addMember declares more', () => {
    const stack = newStack();
    const macie = new MacieMembers(stack, 'Members', {
      invite: false,
      invitationMessage: 'Join our Macie administrator',
      disableEmailNotification: true,
      removalPolicy: RemovalPolicy.RETAIN,
      failOnUnprocessed: false,
      maxRemovals: 0,
    });
    macie.addMember({ accountId: '444444444444', email: 'data@example.com' });
    Template.fromStack(stack).hasResourceProperties(TYPE, {
      Members: ['444444444444:data@example.com'],
      Invite: false,
      Message: 'Join our Macie administrator',
      DisableEmailNotification: true,
      RemovalPolicy: 'RETAIN',
      FailOnUnprocessed: false,
      MaxRemovals: 0,
    });
  });
});

describe('permissions', () => {
  test('exactly Macie\'s six member actions, on * (no discovery, no settings)', () => {
    const stack = newStack();
    new MacieMembers(stack, 'Members', { members });
    const macie = statementsOf(stack).filter((s) => JSON.stringify(s.Action).includes('macie2:'));
    expect(macie).toEqual([{
      Sid: 'MacieMembers',
      Effect: 'Allow',
      Action: ['macie2:CreateInvitations', 'macie2:CreateMember', 'macie2:DeleteMember', 'macie2:DisassociateMember', 'macie2:GetMember', 'macie2:ListMembers'],
      Resource: '*',
    }]);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Policy', { PolicyName: Match.stringLikeRegexp('SettingsPolicy') }, 0);
    const [handler] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));
    expect(handler.Properties.Environment?.Variables?.[SETTINGS_ENVIRONMENT]).toBeUndefined();
  });
});

describe('synth-time validation', () => {
  test.each<[string, () => object, RegExp]>([
    ['account ID not 12 digits', () => ({ members: [{ accountId: '1234', email: 'a@example.com' }] }), /members\[0\]\.accountId '1234' is not a 12-digit AWS account ID/],
    ['email missing', () => ({ members: [{ accountId: '222222222222' }] }), /members\[0\]\.email is missing \(account 222222222222\)/],
    ['email not like x@y', () => ({ members: [{ accountId: '222222222222', email: 'nope' }] }), /members\[0\]\.email 'nope' \(account 222222222222\) is not an email address/],
    ['duplicate account', () => ({ members: [...members, members[0]] }), /members\[2\]\.accountId '333333333333' is declared twice/],
    ['an empty invitation message', () => ({ invitationMessage: '' }), /invitationMessage must be 1 to 80 characters, got 0/],
    ['an invitation message over Macie\'s 80 characters', () => ({ invitationMessage: 'x'.repeat(81) }), /invitationMessage must be 1 to 80 characters, got 81/],
    ['snapshot removal policy', () => ({ removalPolicy: RemovalPolicy.SNAPSHOT }), /removalPolicy 'snapshot' is not supported/],
    ['negative maxRemovals', () => ({ maxRemovals: -2 }), /maxRemovals -2 is not a non-negative integer/],
    ['excludeAccounts without OUs', () => ({ excludeAccounts: ['444444444444'] }), /excludeAccounts only leaves out accounts of organizationalUnits/],
  ])('%s', (_name, props, message) => {
    expect(() => new MacieMembers(newStack(), 'Members', props())).toThrow(message);
  });

  test('addMember validates too', () => {
    const macie = new MacieMembers(newStack(), 'Members', { members });
    expect(() => macie.addMember({ accountId: '222222222222', email: 'again@example.com' })).toThrow(/addMember\(\)\.accountId '222222222222' is declared twice/);
  });

  test('the stack\'s own account cannot be a member', () => {
    const stack = newStack({ env: { account: '222222222222', region: 'us-east-1' } });
    expect(() => new MacieMembers(stack, 'Members', { members })).toThrow(/is this stack's own account/);
  });

  test('more than 10,000 members is refused', () => {
    const macie = new MacieMembers(newStack(), 'Members');
    for (let i = 0; i < 10_000; i++) macie.addMember({ accountId: String(100000000000 + i), email: 'a@example.com' });
    expect(() => macie.addMember({ accountId: '999999999998', email: 'a@example.com' })).toThrow(/10001 members declared, but Macie allows at most 10000 per administrator account/);
  });

  test('unresolved tokens pass through', () => {
    const stack = newStack();
    const message = new CfnParameter(stack, 'Message').valueAsString;
    const email = new CfnParameter(stack, 'Email').valueAsString;
    new MacieMembers(stack, 'Members', { invitationMessage: message, members: [{ accountId: '222222222222', email }] });
    Template.fromStack(stack).hasResourceProperties(TYPE, { Message: { Ref: 'Message' } });
  });
});

describe('declarations across constructs', () => {
  function siblingsOf(stack: Stack, logicalIdPrefix: string): string[] {
    const [, resource] = Object.entries(Template.fromStack(stack).findResources(TYPE)).find(([id]) => id.startsWith(logicalIdPrefix))!;
    return decodeAccounts(resource.Properties.Siblings?.Accounts);
  }

  test('each resource carries the accounts the stack\'s other Macie constructs declare', () => {
    const stack = newStack();
    new MacieMembers(stack, 'Workloads', { members: [members[1]] });
    new MacieMembers(stack, 'Sandbox', { members: [members[0]] });
    new InspectorMembers(stack, 'Inspector', { accountIds: ['444444444444'] });
    expect(siblingsOf(stack, 'Workloads')).toEqual(['333333333333']);
    expect(siblingsOf(stack, 'Sandbox')).toEqual(['222222222222']);
  });

  test('the same account in two Macie constructs of one stack fails synth, naming both', () => {
    const app = new App();
    const stack = new Stack(app, 'Security');
    new MacieMembers(stack, 'First', { members });
    new MacieMembers(stack, 'Second', { members: [members[1]] });
    expect(() => app.synth()).toThrow(/account 222222222222 declared by both Security\/First and Security\/Second on the same Macie administrator/);
  });

  test('the same account for Macie and for another service is no conflict', () => {
    const app = new App();
    const stack = new Stack(app, 'Security');
    new MacieMembers(stack, 'Macie', { members });
    new GuardDutyMembers(stack, 'GuardDuty', { members });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('snapshots', () => {
  const build = (stack: Stack) => {
    new MacieMembers(stack, 'MacieMembers', { members, invitationMessage: 'Welcome' });
  };

  test('template', () => {
    expect(maskedTemplate(snapshotStack(build).stack)).toMatchSnapshot();
  });

  test('two synths of the same app give byte-identical templates', () => {
    const [first, second] = synthTwice(build);
    expect(second).toBe(first);
  });
});
