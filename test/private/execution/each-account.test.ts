/**
 * Additions and removals where each call takes one account (execution/each-account.ts), through
 * the engine's `execute`: one call per account (its error that account's problem), the
 * asynchronous association awaited to a final state or left to the next invocation, the
 * synchronous creation read back (failed states, invitations of 50, email verification).
 */
import { declared, OneAccountFake, quiet, serviceError } from './one-account-fake';
import { execute, ExecuteOptions, Execution } from '../../../src/private/engine';
import { planMembers } from '../../../src/private/planner';
import { accountIds } from '../fakes';

const OPTIONS: ExecuteOptions = { invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet };

async function reconcile(fake: OneAccountFake, desired: readonly string[], previous: readonly string[] = [],
  options: Partial<ExecuteOptions> = {}): Promise<Execution> {
  const live = [...fake.members.values()];
  const plan = planMembers({
    statuses: fake.statuses, desired: declared(desired), previous, live, invite: options.invite ?? true, removal: fake.shape === 'Inspector' ? 'DISASSOCIATE' : 'DELETE',
  });
  return execute(fake, plan, new Map(live.map((m) => [m.accountId, m])), { ...OPTIONS, ...options });
}

describe('Inspector: asynchronous association', () => {
  test('one AssociateMember per account, each awaited until ENABLED', async () => {
    const fake = new OneAccountFake('Inspector');
    const result = await reconcile(fake, accountIds(20));
    expect(result).toMatchObject({ complete: true, problems: [], summary: { created: 20 } });
    expect(fake.calls.filter((c) => c.operation === 'CreateMembers').map((c) => c.accounts.length)).toEqual(Array(20).fill(1));
    expect([...result.learned.values()].every((m) => m.status === 'ENABLED')).toBe(true);
  });

  test('an association that ends in a failed state, or that is gone, is that account\'s problem', async () => {
    const fake = new OneAccountFake('Inspector');
    const [ok, disabled, suspended, vanished] = accountIds(4);
    fake.endsIn.set(disabled, 'REGION_DISABLED');
    fake.endsIn.set(suspended, 'ACCOUNT_SUSPENDED');
    const createMembers = fake.createMembers;
    fake.createMembers = async (members) => {
      const out = await createMembers(members);
      // Someone disassociates this one at once: the association does not hold.
      if (members[0].accountId === vanished) fake.members.delete(vanished);
      return out;
    };
    const result = await reconcile(fake, [ok, disabled, suspended, vanished]);
    expect([...result.problems].sort((x, y) => x.accountId.localeCompare(y.accountId))).toEqual([
      { operation: 'AssociateMember', accountId: disabled, reason: expect.stringMatching(/^the association ended in REGION_DISABLED: the region is not enabled/) },
      { operation: 'AssociateMember', accountId: suspended, reason: 'the association ended in ACCOUNT_SUSPENDED: the member account is suspended' },
      { operation: 'AssociateMember', accountId: vanished, reason: 'AssociateMember started, but the account is no member now: the association did not hold' },
    ]);
  });

  test('associations still under way at the deadline are left to the next invocation, which awaits them without asking again', async () => {
    const fake = new OneAccountFake('Inspector');
    fake.readsUntilSettled = 3;
    const first = await reconcile(fake, accountIds(5), [], { deadline: Date.now() + 50 });
    expect(first).toMatchObject({ complete: false, problems: [] });
    const next = await reconcile(fake, accountIds(5));
    expect(next).toMatchObject({ complete: true, problems: [] });
    expect(fake.count('CreateMembers')).toBe(5);
    expect(Object.fromEntries([...fake.members].map(([id, m]) => [id, m.status]))).toEqual(Object.fromEntries(accountIds(5).map((id) => [id, 'ENABLED'])));
  });

  test('a read that fails while awaiting makes the accounts problems (GetMember), not a hang', async () => {
    const fake = new OneAccountFake('Inspector');
    fake.errors.set('GetMembers:100000000000', serviceError('AccessDeniedException', 'no reads', 403));
    const result = await reconcile(fake, accountIds(1));
    expect(result.problems).toEqual([{ operation: 'GetMember', accountId: '100000000000', reason: 'AccessDeniedException: no reads' }]);
  });

  test('a refused AssociateMember names the account and the service\'s reason; a 402 names the quota', async () => {
    const fake = new OneAccountFake('Inspector');
    const [outsider, over, fine] = accountIds(3);
    fake.errors.set(`CreateMembers:${outsider}`, serviceError('AccessDeniedException', 'Invoking account does not have access', 403));
    fake.errors.set(`CreateMembers:${over}`, serviceError('ServiceQuotaExceededException', 'quota exceeded', 402));
    const result = await reconcile(fake, [outsider, over, fine]);
    expect(result.problems).toEqual([
      { operation: 'AssociateMember', accountId: outsider, reason: 'AccessDeniedException: Invoking account does not have access' },
      { operation: 'AssociateMember', accountId: over, reason: 'ServiceQuotaExceededException: quota exceeded (over the service quota: Inspector allows a delegated administrator 10,000 associated members)' },
    ]);
    expect(fake.members.get(fine)?.status).toBe('ENABLED');
  });

  test('removal: DisassociateMember per account, awaited until the member is out; under way at the deadline, continued', async () => {
    const fake = new OneAccountFake('Inspector');
    accountIds(4).forEach((accountId) => fake.members.set(accountId, { accountId, status: 'ENABLED' }));
    const removed = await reconcile(fake, accountIds(2), accountIds(4));
    expect(removed).toMatchObject({ complete: true, problems: [], summary: { removed: 2 } });
    expect([...fake.members.keys()]).toEqual(accountIds(2));
    expect(fake.count('DeleteMembers')).toBe(0);

    fake.readsUntilSettled = 3;
    const late = await reconcile(fake, [], accountIds(2), { deadline: Date.now() + 20 });
    expect(late).toMatchObject({ complete: false, problems: [] });
  });
});

describe('Macie: synchronous creation, then invitations', () => {
  test('CreateMember per account; organization accounts enabled, the others invited 50 a call', async () => {
    const fake = new OneAccountFake('Macie');
    const invited = accountIds(60);
    const org = accountIds(3, 200000000000);
    org.forEach((id) => fake.organization.add(id));
    const result = await reconcile(fake, [...invited, ...org]);
    expect(result).toMatchObject({ complete: true, problems: [], summary: { created: 63, invited: 60 } });
    expect(fake.calls.filter((c) => c.operation === 'InviteMembers').map((c) => c.accounts.length).sort((a, b) => b - a)).toEqual([50, 10]);
    expect(org.map((id) => fake.members.get(id)?.status)).toEqual(['Enabled', 'Enabled', 'Enabled']);
  });

  test('a failed email verification after the invitation, and a member created in a failed state, are failures with their reasons', async () => {
    const fake = new OneAccountFake('Macie');
    const [wrongEmail, disabled] = accountIds(2);
    fake.endsIn.set(wrongEmail, 'EmailVerificationFailed');
    fake.organization.add(disabled);
    fake.endsIn.set(disabled, 'RegionDisabled');
    const result = await reconcile(fake, [wrongEmail, disabled]);
    expect(result.problems).toEqual([
      { operation: 'CreateMember', accountId: disabled, reason: expect.stringMatching(/^the member is RegionDisabled: the region is not enabled/) },
      { operation: 'CreateInvitations', accountId: wrongEmail, reason: expect.stringMatching(/^email verification failed \(EmailVerificationFailed\)/) },
    ]);
  });

  test('without invitations the created accounts are still read back for the service\'s failed states', async () => {
    const fake = new OneAccountFake('Macie');
    fake.organization.add('100000000000');
    fake.endsIn.set('100000000000', 'AccountSuspended');
    const result = await reconcile(fake, ['100000000000', '100000000001'], [], { invite: false });
    expect(result.problems.map((p) => [p.accountId, p.reason])).toEqual([['100000000000', 'the member is AccountSuspended: the member account is suspended']]);
    expect(fake.count('InviteMembers')).toBe(0);
    expect(fake.members.get('100000000001')?.status).toBe('Created');
  });

  test('a read-back that fails: the created accounts are not invited blind, each is a GetMember problem', async () => {
    const fake = new OneAccountFake('Macie');
    fake.errors.set('GetMembers:100000000000', serviceError('InternalServerException', 'try later', 500));
    const result = await reconcile(fake, ['100000000000']);
    expect(result.problems).toEqual([{ operation: 'GetMember', accountId: '100000000000', reason: 'InternalServerException: try later' }]);
    expect(fake.count('InviteMembers')).toBe(0);
  });

  test('a CreateMember refused for one account (an existing member) is checked against live state: already there is success', async () => {
    const fake = new OneAccountFake('Macie');
    const [existing, refused] = accountIds(2);
    fake.errors.set(`CreateMembers:${existing}`, serviceError('ConflictException', 'already a member', 409));
    fake.errors.set(`CreateMembers:${refused}`, serviceError('ValidationException', 'bad email', 400));
    const plan = planMembers({ statuses: fake.statuses, desired: declared([existing, refused]), previous: [], live: [], invite: true, removal: 'DELETE' });
    // The member exists (a retried call's first attempt went through), unknown to the plan.
    fake.members.set(existing, { accountId: existing, status: 'Invited', email: `root+${existing}@example.com` });
    const result = await execute(fake, plan, new Map(), OPTIONS);
    expect(result.problems).toEqual([{ operation: 'CreateMember', accountId: refused, reason: 'ValidationException: bad email' }]);
  });

  test('removal: DisassociateMember, then DeleteMember, one account a call', async () => {
    const fake = new OneAccountFake('Macie');
    accountIds(3).forEach((accountId) => fake.members.set(accountId, { accountId, status: 'Enabled' }));
    const result = await reconcile(fake, [], accountIds(3));
    expect(result).toMatchObject({ complete: true, problems: [], summary: { removed: 3 } });
    expect(fake.calls.map((c) => c.operation).sort()).toEqual([...Array(3).fill('DeleteMembers'), ...Array(3).fill('DisassociateMembers')]);
    expect(fake.members.size).toBe(0);
  });
});

test('the invited accounts read back fails: no failure now (a failed verification shows at the next deployment), logged', async () => {
  const fake = new OneAccountFake('Macie');
  const getMembers = fake.getMembers;
  let reads = 0;
  // The read-back after CreateMember answers; the one after the invitations fails.
  fake.getMembers = async (ids) => {
    reads++;
    if (reads > 1) throw serviceError('InternalServerException', 'try later', 500);
    return getMembers(ids);
  };
  const warnings: string[] = [];
  const result = await reconcile(fake, ['100000000000'], [], { log: { ...quiet, warn: (message: string) => warnings.push(message) } });
  expect(result).toMatchObject({ complete: true, problems: [], summary: { invited: 1 } });
  expect(warnings).toEqual(['reading the invited accounts back failed: a failed email verification shows at the next deployment']);
});
