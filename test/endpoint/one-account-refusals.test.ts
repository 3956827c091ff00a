/**
 * Inspector and Macie refusing accounts, against the local endpoint through the bundled handler:
 * failed final states (ACCOUNT_SUSPENDED, RegionDisabled), the quotas (Inspector's 402 per
 * AssociateMember, Macie's 1,000 by invitation), CreateInvitations' unprocessedAccounts, and
 * email verification that finishes after the call. Each failure names the account, the API
 * operation and the service's reason; a failed create leaves membership as it was.
 */
import { Stack } from 'aws-cdk-lib';
import { DeploymentFailed, synthesizeStack } from './cloudformation-driver';
import { ledgerParameters, rootEmail, startWorld, World } from './harness';
import { ServiceError } from './wire';
import { InspectorMembers, MacieMembers, MemberAccount } from '../../src';

jest.setTimeout(120_000);

let world: World;
afterEach(async () => world?.stop());

const ids = (n: number, first = 100000000000) => Array.from({ length: n }, (_, i) => String(first + i));
const active = (state: Record<string, string>, gone: string) => Object.fromEntries(Object.entries(state).filter(([, s]) => s !== gone));

function inspectorTemplate(accountIds: readonly string[]) {
  return synthesizeStack((stack: Stack) => new InspectorMembers(stack, 'Members', { accountIds: [...accountIds] })).template;
}

function macieTemplate(members: readonly MemberAccount[]) {
  return synthesizeStack((stack: Stack) => new MacieMembers(stack, 'Members', { members: [...members] })).template;
}

const declared = (accountIds: readonly string[]) => accountIds.map((accountId) => ({ accountId, email: rootEmail(accountId) }));

async function failureOf(deployment: Promise<void>): Promise<string> {
  const failure = await deployment.catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(DeploymentFailed);
  return (failure as DeploymentFailed).message;
}

describe('Inspector', () => {
  test('an association that ends ACCOUNT_SUSPENDED fails the create, which is undone', async () => {
    world = await startWorld();
    const [a, suspended] = ids(2);
    [a, suspended].forEach((id) => world.endpoint.inspector.organization.add(id));
    world.endpoint.inspector.endsIn.set(suspended, 'ACCOUNT_SUSPENDED');
    const message = await failureOf(world.cfn.stack('Members').deploy(inspectorTemplate([a, suspended])));
    expect(message).toMatch(new RegExp(`AssociateMember, 1 account: "the association ended in ACCOUNT_SUSPENDED: the member account is suspended" \\(${suspended}\\)`));
    expect(active(world.endpoint.inspector.state(), 'REMOVED')).toEqual({});
    expect(ledgerParameters(world.endpoint)).toEqual([]);
  });

  test('a 402 on AssociateMember names the quota; the accounts the create added go again', async () => {
    world = await startWorld();
    const accounts = ids(3);
    accounts.forEach((id) => world.endpoint.inspector.organization.add(id));
    world.endpoint.inspector.quota = 2;
    const message = await failureOf(world.cfn.stack('Members').deploy(inspectorTemplate(accounts)));
    expect(message).toMatch(/AssociateMember, 1 account: "ServiceQuotaExceededException: [^"]*quota of 2 associated member accounts[^"]*\(over the service quota: Inspector allows a delegated administrator 10,000 associated members\)" \(10000000000\d\)/);
    expect(world.endpoint.count('AssociateMember', 'ServiceQuotaExceededException')).toBe(1);
    expect(active(world.endpoint.inspector.state(), 'REMOVED')).toEqual({});
  });
});

describe('Macie', () => {
  test('a removal an SCP denies fails the update as a removal, naming DeleteMember, the account and the reason', async () => {
    world = await startWorld();
    const [kept, leaving] = ids(2);
    [kept, leaving].forEach((id) => world.endpoint.macie.organization.add(id));
    const stack = world.cfn.stack('Members');
    await stack.deploy(macieTemplate(declared([kept, leaving])));
    world.endpoint.intercept = ({ service, operation }) => {
      if (service === 'Macie2' && operation === 'DeleteMember') {
        throw new ServiceError(403, 'AccessDeniedException', 'User is not authorized to perform: macie2:DeleteMember with an explicit deny in a service control policy');
      }
    };
    const reason = await failureOf(stack.deploy(macieTemplate(declared([kept]))));
    expect(reason).toMatch(new RegExp(`1 account of 1 to remove could not be removed\\. DeleteMember, 1 account: "AccessDeniedException: [^"]*explicit deny[^"]*" \\(${leaving}\\)`));
    world.endpoint.intercept = undefined;
  });

  test('an organization account that joins RegionDisabled fails the create with CreateMember and the reason', async () => {
    world = await startWorld();
    const [a, disabled] = ids(2);
    [a, disabled].forEach((id) => world.endpoint.macie.organization.add(id));
    world.endpoint.macie.endsIn.set(disabled, 'RegionDisabled');
    const message = await failureOf(world.cfn.stack('Members').deploy(macieTemplate(declared([a, disabled]))));
    expect(message).toMatch(new RegExp(`CreateMember, 1 account: "the member is RegionDisabled: the region is not enabled in the member account[^"]*" \\(${disabled}\\)`));
    expect(active(world.endpoint.macie.state(), 'Removed')).toEqual({});
  });

  test('the 1,000 by invitation: a 402 names the quota, organization accounts still join', async () => {
    world = await startWorld();
    const invited = ids(3);
    const [orgAccount] = ids(1, 200000000001);
    world.endpoint.macie.organization.add(orgAccount);
    world.endpoint.macie.quota.invitation = 2;
    const stack = world.cfn.stack('Members');
    await stack.deploy(macieTemplate(declared([orgAccount])));
    const message = await failureOf(stack.deploy(macieTemplate(declared([orgAccount, ...invited]))));
    expect(message).toMatch(/CreateMember, 1 account: "ServiceQuotaExceededException: [^"]*quota of 2 member accounts associated by invitation[^"]*1,000 of them by invitation\)" \(10000000000\d\)/);
    // The failed update is rolled back: the organization account stays, the invited ones go.
    expect(active(world.endpoint.macie.state(), 'Removed')).toEqual({ [orgAccount]: 'Enabled' });
  });

  test('CreateInvitations\' unprocessedAccounts fail the deployment with their errorCode and errorMessage', async () => {
    world = await startWorld();
    const [a, refused] = ids(2);
    // The account joins the organization between its CreateMember and its invitation: Macie refuses to invite it.
    world.endpoint.intercept = async ({ operation, input }) => {
      if (operation === 'CreateInvitations' && (input.accountIds as string[]).includes(refused)) world.endpoint.macie.organization.add(refused);
    };
    const message = await failureOf(world.cfn.stack('Members').deploy(macieTemplate(declared([a, refused]))));
    expect(message).toMatch(new RegExp(`CreateInvitations, 1 account: "ClientError: The account is part of the organization[^"]*" \\(${refused}\\)`));
    expect(active(world.endpoint.macie.state(), 'Removed')).toEqual({});
  });

  test('email verification that finishes after the call: a wrong address fails, the right one recreates the member and invites it', async () => {
    world = await startWorld();
    world.endpoint.macie.asyncVerification = true;
    const [a, wrong] = ids(2);
    world.endpoint.macie.rootEmails.set(wrong, rootEmail(wrong));
    const stack = world.cfn.stack('Members');
    await stack.deploy(macieTemplate(declared([a])));
    expect(world.endpoint.macie.state()).toEqual({ [a]: 'Invited' });

    const mistyped = { accountId: wrong, email: 'typo@example.com' };
    const message = await failureOf(stack.deploy(macieTemplate([...declared([a]), mistyped])));
    expect(message).toMatch(new RegExp(`CreateInvitations, 1 account: "email verification failed \\(EmailVerificationFailed\\)[^"]*" \\(${wrong}\\)`));
    expect(world.endpoint.macie.state()).toEqual({ [a]: 'Invited' });

    await stack.deploy(macieTemplate(declared([a, wrong])));
    expect(world.endpoint.macie.state()).toEqual({ [a]: 'Invited', [wrong]: 'Invited' });
    expect(world.endpoint.macie.invitations.map((i) => i.accountId)).toEqual([a, wrong]);
  });
});
