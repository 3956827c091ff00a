/**
 * Synth-time errors are aws-cdk-lib's: `Errors.isValidationError(err)` is true for every error
 * the constructs raise (at construction and in the app's validation), each named by its code,
 * with the construct path; and every message says what is wrong in the user's terms.
 */
import { App, CfnParameter, Errors, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  GuardDutyMemberRemoval, DetectiveGraphMembers, GuardDutyMembers, InspectorMembers, InspectorScanType, MacieMembers, MemberAccount,
  SecurityHubMembers, SecurityMembersProvider,
} from '../src';
import { CDK_MINOR, newStack } from './util';
import { cdkValidationErrorFactory, MembersValidationError, validationError } from '../src/private/errors';

function caught(fn: () => void): Error & { constructPath?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a validation error');
}

const valid = { accountId: '222222222222', email: 'aws-workloads@example.com' };
const member = (m: Partial<Record<keyof MemberAccount, unknown>>) => m as unknown as MemberAccount;

/** Every error a construct raises while it is built, by code. */
const AT_CONSTRUCTION: [string, (s: Stack) => void][] = [
  ['MissingMemberAccountId', (s) => new GuardDutyMembers(s, 'Members', { members: [member({ email: 'a@example.com' })] })],
  ['InvalidMemberAccountId', (s) => new GuardDutyMembers(s, 'Members', { members: [{ accountId: '12345', email: 'a@example.com' }] })],
  ['MissingMemberEmail', (s) => new DetectiveGraphMembers(s, 'Members', { members: [member({ accountId: '222222222222' })] })],
  ['InvalidMemberEmail', (s) => new SecurityHubMembers(s, 'Members', { members: [{ accountId: '222222222222', email: 'nope' }] })],
  ['MemberEmailTooLong', (s) => new GuardDutyMembers(s, 'Members', { members: [{ accountId: '222222222222', email: `${'a'.repeat(60)}@example.com` }] })],
  ['DuplicateMember', (s) => new GuardDutyMembers(s, 'Members', { members: [valid, valid] })],
  ['AdministratorAsMember', (s) => new GuardDutyMembers(s, 'Members', { members: [{ accountId: s.account, email: 'a@example.com' }] })],
  ['TooManyMembers', (s) => new DetectiveGraphMembers(s, 'Members', {
    members: Array.from({ length: 1201 }, (_, i) => ({ accountId: String(100000000000 + i), email: `m${i}@example.com` })),
  })],
  ['InvalidTarget', (s) => new DetectiveGraphMembers(s, 'Members', { graphArn: 'arn:aws:detective:us-east-1:1:graph:x' })],
  ['InvalidInvitationMessage', (s) => new GuardDutyMembers(s, 'Members', { invitationMessage: '' })],
  ['InvalidMemberRemoval', (s) => new GuardDutyMembers(s, 'Members', { memberRemoval: 'SHRED' as GuardDutyMemberRemoval })],
  ['UnsupportedRemovalPolicy', (s) => new SecurityHubMembers(s, 'Members', { removalPolicy: RemovalPolicy.SNAPSHOT })],
  ['InvalidMaxRemovals', (s) => new GuardDutyMembers(s, 'Members', { maxRemovals: -1 })],
  ['InvalidOrganizationalUnits', (s) => new SecurityHubMembers(s, 'Members', { organizationalUnits: ['ou-nope'] })],
  ['InvalidExcludeAccounts', (s) => new SecurityHubMembers(s, 'Members', { organizationalUnits: ['r-a1b2'], excludeAccounts: ['1'] })],
  ['ExcludeAccountsWithoutOrganizationalUnits', (s) => new SecurityHubMembers(s, 'Members', { excludeAccounts: ['444444444444'] })],
  ['ProviderConfiguredLate', (s) => {
    new GuardDutyMembers(s, 'Members', { members: [valid] });
    SecurityMembersProvider.configure(s, {});
  }],
  ['ProviderConfiguredTwice', (s) => {
    SecurityMembersProvider.configure(s, {});
    SecurityMembersProvider.configure(s, {});
  }],
  ['ProviderSubnetsWithoutVpc', (s) => SecurityMembersProvider.configure(s, { vpcSubnets: {} })],
  ['InvalidScanType', (s) => new InspectorMembers(s, 'Members', { scanTypes: ['ECS' as InspectorScanType] })],
];

/** The same rules through the two services whose members take one account per call. */
const ONE_ACCOUNT_SERVICES: [string, string, (s: Stack) => void][] = [
  ['Inspector', 'InvalidMemberAccountId', (s) => new InspectorMembers(s, 'Members', { accountIds: ['12345'] })],
  ['Inspector', 'MissingMemberAccountId', (s) => new InspectorMembers(s, 'Members', { accountIds: [''] })],
  ['Inspector', 'DuplicateMember', (s) => new InspectorMembers(s, 'Members', { accountIds: ['222222222222', '222222222222'] })],
  ['Inspector', 'AdministratorAsMember', (s) => new InspectorMembers(s, 'Members', { accountIds: [s.account] })],
  ['Inspector', 'TooManyMembers', (s) => new InspectorMembers(s, 'Members', { accountIds: Array.from({ length: 10_001 }, (_, i) => String(100000000000 + i)) })],
  ['Inspector', 'InvalidScanType', (s) => new InspectorMembers(s, 'Members', { scanTypes: [InspectorScanType.EC2, InspectorScanType.EC2] })],
  ['Inspector', 'UnsupportedRemovalPolicy', (s) => new InspectorMembers(s, 'Members', { removalPolicy: RemovalPolicy.SNAPSHOT })],
  ['Inspector', 'InvalidMaxRemovals', (s) => new InspectorMembers(s, 'Members', { maxRemovals: 1.5 })],
  ['Inspector', 'InvalidOrganizationalUnits', (s) => new InspectorMembers(s, 'Members', { organizationalUnits: ['r-A'] })],
  ['Macie', 'InvalidMemberEmail', (s) => new MacieMembers(s, 'Members', { members: [{ accountId: '222222222222', email: 'nope' }] })],
  ['Macie', 'MissingMemberEmail', (s) => new MacieMembers(s, 'Members', { members: [member({ accountId: '222222222222' })] })],
  ['Macie', 'DuplicateMember', (s) => new MacieMembers(s, 'Members', { members: [valid, valid] })],
  ['Macie', 'AdministratorAsMember', (s) => new MacieMembers(s, 'Members', { members: [{ accountId: s.account, email: 'a@example.com' }] })],
  ['Macie', 'InvalidInvitationMessage', (s) => new MacieMembers(s, 'Members', { invitationMessage: 'x'.repeat(81) })],
  ['Macie', 'InvalidExcludeAccounts', (s) => new MacieMembers(s, 'Members', { organizationalUnits: ['r-a1b2'], excludeAccounts: ['1'] })],
];

test.each(ONE_ACCOUNT_SERVICES)('%s, %s: aws-cdk-lib\'s ValidationError with the construct path', (_service, code, build) => {
  const stack = newStack({ env: { account: '111111111111', region: 'us-east-1' } });
  const err = caught(() => build(stack));
  expect(Errors.isValidationError(err)).toBe(true);
  expect(err.constructPath).toBe('TestStack/Members');
  expect(err.name).toBe(CDK_MINOR >= 245 ? code : 'ValidationError');
});

test.each(AT_CONSTRUCTION)('%s: aws-cdk-lib\'s ValidationError, with the construct path (and its code, where aws-cdk-lib takes one)', (code, build) => {
  const stack = newStack({ env: { account: '111111111111', region: 'us-east-1' } });
  const err = caught(() => build(stack));
  expect(Errors.isValidationError(err)).toBe(true);
  expect(err.constructPath).toMatch(/^TestStack(\/Members)?$/);
  expect(err.stack).not.toMatch(/^MembersValidationError/);
  if (CDK_MINOR >= 245) {
    // «Code» message, the caller's frames, the construct tree.
    expect(err.name).toBe(code);
    expect(err.stack).toMatch(new RegExp(`^«${code}» `));
    expect(err.stack).toContain('Relates to construct:');
    expect(err.stack).toContain(__filename);
  } else {
    // 2.201.0 to 2.244.0 present it as `ValidationError: message` and the construct path.
    expect(err.name).toBe('ValidationError');
    expect(err.stack).toMatch(new RegExp(`^ValidationError: .*\n\\s+at path \\[${err.constructPath}\\]`));
  }
});

test.each<[string, (app: App) => void, RegExp]>([
  ['the same account in two constructs', (app) => {
    const stack = new Stack(app, 'Security');
    new GuardDutyMembers(stack, 'A', { members: [valid] });
    new GuardDutyMembers(stack, 'B', { members: [valid] });
  }, /account 222222222222 declared by both Security\/A and Security\/B/],
  ['the same account in two Inspector constructs', (app) => {
    const stack = new Stack(app, 'Security');
    new InspectorMembers(stack, 'A', { accountIds: ['222222222222'] });
    new InspectorMembers(stack, 'B', { accountIds: ['222222222222'] });
  }, /account 222222222222 declared by both Security\/A and Security\/B on the same Inspector delegated administrator/],
  ['an excluded account also declared', (app) => {
    const hub = new SecurityHubMembers(new Stack(app, 'Security'), 'Hub', { organizationalUnits: ['r-a1b2'], excludeAccounts: ['222222222222'] });
    hub.addMember(valid);
  }, /excludeAccounts: 222222222222 is also declared in members/],
])('errors of the app\'s validation (%s) are ValidationErrors too', (_name, build, message) => {
  const app = new App();
  build(app);
  const err = caught(() => app.synth());
  expect(Errors.isValidationError(err)).toBe(true);
  expect(err.message).toMatch(message);
});

describe('messages', () => {
  test('a numeric account ID: write it as a string (it would lose leading zeros)', () => {
    const err = caught(() => new GuardDutyMembers(newStack(), 'Members', { members: [member({ accountId: 22222222222, email: 'a@example.com' })] }));
    expect(err.message).toBe("members[0].accountId is the number 22222222222, not a string: write it in quotes, '022222222222' " +
      "(a number loses an ID's leading zeros)");
  });

  test('a missing email is named missing, with the account, not \'undefined\'', () => {
    const err = caught(() => new GuardDutyMembers(newStack(), 'Members', { members: [member({ accountId: '222222222222' })] }));
    expect(err.message).toBe("members[0].email is missing (account 222222222222): give the account's root user email");
  });

  test('a missing account ID is named missing', () => {
    const err = caught(() => new GuardDutyMembers(newStack(), 'Members', { members: [member({ email: 'a@example.com' })] }));
    expect(err.message).toBe("members[0].accountId is missing: give the member's 12-digit account ID");
  });

  test('a token declared twice is shown as CloudFormation resolves it, not as ${Token[...]}', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'MemberAccount').valueAsString;
    const gd = new GuardDutyMembers(stack, 'Members', { members: [{ accountId, email: 'a@example.com' }] });
    const err = caught(() => gd.addMember({ accountId, email: 'b@example.com' }));
    expect(err.message).toBe('addMember().accountId {"Ref":"MemberAccount"} (resolved at deploy time) is declared twice; each account may appear once');
    expect(err.message).not.toContain('Token[');
  });

  test('an invalid email of an account given as a token names the token\'s source', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'MemberAccount').valueAsString;
    const err = caught(() => new SecurityHubMembers(stack, 'Members', { members: [{ accountId, email: 'nope' }] }));
    expect(err.message).toBe("members[0].email 'nope' (account {\"Ref\":\"MemberAccount\"} (resolved at deploy time)) is not an email address like name@example.com");
  });
});

describe('on an aws-cdk-lib without an exported ValidationError', () => {
  test('no export (before 2.201): the library\'s own error, which aws-cdk-lib still recognises', () => {
    expect(cdkValidationErrorFactory(() => {
      throw Object.assign(new Error('Package subpath is not defined by "exports"'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    })).toBeUndefined();
    expect(cdkValidationErrorFactory(() => ({}))).toBeUndefined();
    const stack = newStack();
    const err = new MembersValidationError('InvalidMemberAccountId', "members[0].accountId '1' is not a 12-digit AWS account ID", stack);
    expect(Errors.isValidationError(err)).toBe(true);
    expect(Errors.isConstructError(err)).toBe(true);
    expect(err).toMatchObject({ name: 'InvalidMemberAccountId', constructPath: 'TestStack', type: 'validation' });
    expect(err.stack!.split('\n')[0]).toBe("«InvalidMemberAccountId» members[0].accountId '1' is not a 12-digit AWS account ID");
    expect(err.stack).toContain(__filename);
    expect(err.stack!.split('\n').slice(-2)).toEqual(['Relates to construct:', '    TestStack']);
  });

  test('(message, scope) constructors (2.201 to 2.244) get the message and the scope; (code, message, scope) ones all three', () => {
    const seen: unknown[][] = [];
    class TwoArguments extends Error {
      constructor(message: string, scope: unknown) {
        super(message);
        seen.push([message, scope]);
      }
    }
    class ThreeArguments extends Error {
      constructor(code: string, message: string, scope: unknown) {
        super(message);
        seen.push([code, message, scope]);
      }
    }
    const stack = newStack();
    cdkValidationErrorFactory(() => ({ ValidationError: TwoArguments }))!('Code', 'message', stack);
    cdkValidationErrorFactory(() => ({ ValidationError: ThreeArguments }))!('Code', 'message', stack);
    expect(seen).toEqual([['message', stack], ['Code', 'message', stack]]);
  });

  test('the installed aws-cdk-lib\'s own ValidationError from 2.201.0 on, the library\'s before', () => {
    expect(cdkValidationErrorFactory() !== undefined).toBe(CDK_MINOR >= 201);
    const err = validationError(newStack(), 'SomeCode', 'message');
    expect(err instanceof MembersValidationError).toBe(CDK_MINOR < 201);
    expect(Errors.isValidationError(err)).toBe(true);
  });
});
