import { deflateSync } from 'zlib';
import { InviteMembersCommand, ListMembersCommand } from '@aws-sdk/client-guardduty';
import { accountIds, cfnEvent, encoded, FakeGuardDuty, lambdaContext, serviceError, testClients, withEndpointEnv } from './fakes';
import { handleEvent, handler, HandlerResponse, TIME_RESERVE_MS } from '../../src/private/reconcile.lambda';
import { REASON_BUDGET_BYTES } from '../../src/private/report';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

let gd: FakeGuardDuty;
let logs: string[];
const DETECTOR = 'd0123456789abcdef0123456789abcdef';

let endpoint: Endpoint;

beforeEach(async () => {
  endpoint = await startEndpoint();
  gd = new FakeGuardDuty();
  logs = [];
  for (const level of ['info', 'warn', 'error', 'log'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});

afterEach(async () => {
  await endpoint.stop();
  gd.mock.restore();
  jest.restoreAllMocks();
});

function props(ids: string[], extra: Record<string, unknown> = {}) {
  return { Service: 'GuardDuty', DetectorId: DETECTOR, Members: encoded(ids), Invite: 'true', FailOnUnprocessed: 'true', MemberRemoval: 'DELETE', Schema: '2', ...extra };
}

/** Properties as a version before the ownership ledger wrote them. */
function legacy(ids: string[], extra: Record<string, unknown> = {}) {
  const { Schema: _schema, ...rest } = props(ids, extra);
  return rest;
}

const run = (event: ReturnType<typeof cfnEvent>) => handleEvent(event, lambdaContext, testClients(endpoint));

async function create(ids: string[], extra?: Record<string, unknown>): Promise<HandlerResponse> {
  return run(cfnEvent('Create', props(ids, extra)));
}

async function update(ids: string[], oldIds: string[], extra?: Record<string, unknown>): Promise<HandlerResponse> {
  return run(cfnEvent('Update', props(ids, extra), { old: props(oldIds, extra), physicalId: DETECTOR }));
}

/** The compressed member properties, as the constructs write them for large lists. */
function compressed(ids: string[]) {
  return { Members: undefined, MembersCompressed: deflateSync(encoded(ids).join('\n')).toString('base64'), MemberCount: String(ids.length) };
}

function maxAccountsPerCall(): number {
  return Math.max(...gd.calls.map((c) => c.accounts.length));
}

describe('create', () => {
  test('creates and invites the declared accounts, answers the detector as physical ID', async () => {
    const ids = accountIds(3);
    const response = await create(ids);

    expect(response.PhysicalResourceId).toBe(DETECTOR);
    expect(response.Data).toEqual({ DetectorId: DETECTOR, Created: 3, Invited: 3, Removed: 0, Unchanged: 0, Unprocessed: 0, Disabled: 0 });
    expect(gd.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'Invited'])));
    // One read of the created batch tells which accounts CreateMembers left to invite.
    expect(gd.sequence()).toEqual(['ListMembers', 'CreateMembers', 'GetMembers', 'InviteMembers']);
    expect(gd.callsOf('GetMembers')).toHaveLength(1);
  });

  test('passes the invitation message and email setting through', async () => {
    await create(accountIds(1), { Message: 'Welcome', DisableEmailNotification: 'true' });
    const invite = gd.mock.commandCalls(InviteMembersCommand)[0].args[0].input;
    expect(invite).toMatchObject({ DetectorId: DETECTOR, Message: 'Welcome', DisableEmailNotification: true });
  });

  test('discovers the detector when none is given', async () => {
    const response = await create(accountIds(1), { DetectorId: undefined });
    expect(response.PhysicalResourceId).toBe(DETECTOR);
    expect(gd.sequence()[0]).toBe('ListDetectors');
  });

  test('fails clearly when discovery finds no detector', async () => {
    gd.detectorIds = [];
    await expect(create(accountIds(1), { DetectorId: undefined })).rejects.toThrow(/ListDetectors found 0 detectors.*pass detectorId/);
  });

  test('organization accounts are enabled by CreateMembers and never invited: one read of the batch tells them apart', async () => {
    const [org, invited] = accountIds(2);
    gd.organization.add(org);
    const response = await create([org, invited]);
    expect(gd.state()).toEqual({ [org]: 'Enabled', [invited]: 'Invited' });
    expect(gd.callsOf('GetMembers').flatMap((c) => c.accounts)).toEqual([org, invited]);
    expect(gd.callsOf('InviteMembers').flatMap((c) => c.accounts)).toEqual([invited]);
    expect(gd.invitesToOrganization).toEqual([]);
    expect(response.Data).toMatchObject({ Created: 2, Invited: 1, Unprocessed: 0 });
  });

  test('a batch of organization accounts only costs CreateMembers and one GetMembers', async () => {
    const ids = accountIds(50);
    ids.forEach((id) => gd.organization.add(id));
    await create(ids);
    expect(gd.sequence()).toEqual(['ListMembers', 'CreateMembers', 'GetMembers']);
    expect(gd.invitesToOrganization).toEqual([]);
  });

  test('when the read after CreateMembers fails, nothing is invited blind and the accounts fail with the reason', async () => {
    const ids = accountIds(2);
    gd.failNext('GetMembers', serviceError('InternalServerErrorException', 'Internal error'));
    await expect(create(ids)).rejects.toThrow(/GetMembers, 2 accounts: "InternalServerErrorException: Internal error"/);
    expect(gd.callsOf('InviteMembers')).toHaveLength(0);
  });

  test('an invitation message over 1,000 characters is refused before any call', async () => {
    await expect(create(accountIds(1), { Message: 'x'.repeat(1001) })).rejects.toThrow('Message: 1001 characters, more than the 1000 GuardDuty takes');
    expect(gd.calls).toEqual([]);
  });

  test('invite off: members stay Created', async () => {
    const ids = accountIds(2);
    await create(ids, { Invite: 'false' });
    expect(gd.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'Created'])));
    expect(gd.callsOf('InviteMembers')).toHaveLength(0);
    expect(gd.callsOf('GetMembers')).toHaveLength(0);
  });

  test.each([
    [51, [50, 1]],
    [120, [50, 50, 20]],
  ])('%i accounts go out in full batches of at most 50', async (count, batches) => {
    const ids = accountIds(count);
    await create(ids);
    expect(gd.callsOf('CreateMembers').map((c) => c.accounts.length).sort((a, b) => b - a)).toEqual(batches);
    expect(gd.callsOf('InviteMembers').map((c) => c.accounts.length).sort((a, b) => b - a)).toEqual(batches);
    expect(maxAccountsPerCall()).toBeLessThanOrEqual(50);
    expect(Object.keys(gd.state())).toHaveLength(count);
    // Every account is created and invited exactly once.
    expect(new Set(gd.callsOf('CreateMembers').flatMap((c) => c.accounts)).size).toBe(count);
    expect(gd.callsOf('InviteMembers').flatMap((c) => c.accounts)).toHaveLength(count);
  });

  test('"already a member" answers for accounts that are in place are success', async () => {
    // As after a retried call whose first attempt went through.
    gd.reportAppliedAsUnprocessed.add('CreateMembers');
    const ids = accountIds(3);
    const response = await create(ids);
    expect(gd.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'Invited'])));
    expect(response.Data.Unprocessed).toBe(0);
    // The check's GetMembers also serves the invitation step: each account is read once.
    expect(gd.callsOf('GetMembers').flatMap((c) => c.accounts).sort()).toEqual(ids);
    expect(gd.callsOf('InviteMembers').flatMap((c) => c.accounts).sort()).toEqual(ids);
  });

  test('a call that fails after its retries is checked against live state too', async () => {
    gd.failNext('InviteMembers', serviceError('InternalServerErrorException', 'Internal error'));
    await expect(create(accountIds(2))).rejects.toThrow(/InviteMembers, 2 accounts: "InternalServerErrorException: Internal error"/);
  });

  test('a really unprocessed account fails the deployment with its reason, and the create is undone', async () => {
    const ids = accountIds(4);
    gd.boundElsewhere.set(ids[2], 'Operation failed because your organization master must first enable GuardDuty to be added as a member');
    gd.add('999999999990', 'Enabled'); // added by hand before: must survive the undo

    const failure = create(ids);
    await expect(failure).rejects.toThrow(
      `GuardDuty: 1 account of 4 declared could not be brought to the declared state. CreateMembers, 1 account: "Operation failed because your organization master must first enable GuardDuty to be added as a member" (${ids[2]});`,
    );
    await expect(failure).rejects.toThrow(/The 3 accounts this deployment added were removed again/);
    // Nothing of this deployment is left; the hand-added member is untouched.
    expect(gd.state()).toEqual({ 999999999990: 'Enabled' });
  });

  test('failOnUnprocessed false: succeeds, logs and counts the unprocessed accounts', async () => {
    const ids = accountIds(3);
    gd.boundElsewhere.set(ids[0], 'belongs to another administrator');
    const response = await create(ids, { FailOnUnprocessed: 'false' });
    expect(response.Data).toMatchObject({ Created: 2, Unprocessed: 1 });
    expect(gd.state()).toEqual({ [ids[1]]: 'Invited', [ids[2]]: 'Invited' });
    expect(logs.some((l) => l.includes('failOnUnprocessed is false') && l.includes(ids[0]))).toBe(true);
  });

  test('members added by hand are never touched', async () => {
    gd.add('999999999990', 'Enabled');
    gd.add('999999999991', 'Created');
    await create(accountIds(2));
    expect(gd.state()).toMatchObject({ 999999999990: 'Enabled', 999999999991: 'Created' });
    expect(gd.calls.flatMap((c) => c.accounts)).not.toContain('999999999990');
  });

  test('lists every member page by page at the page maximum', async () => {
    for (const id of accountIds(120, 500000000000)) gd.add(id, 'Enabled');
    await create(accountIds(1));
    const listCalls = gd.mock.commandCalls(ListMembersCommand);
    expect(listCalls).toHaveLength(3);
    expect(listCalls.every((c) => c.args[0].input.MaxResults === 50 && c.args[0].input.OnlyAssociated === 'false')).toBe(true);
  });

  test('validates the resolved declaration before changing anything', async () => {
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: ['12345:a@example.com'] }))).rejects.toThrow("Members[0]: account ID '12345' is not 12 digits");
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: ['111111111111:nope'] }))).rejects.toThrow('Members[0]: the email of account 111111111111 is not an address');
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: encoded(['111111111111', '111111111111']) }))).rejects.toThrow('Members[1]: account 111111111111 is declared twice');
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: encoded(['999999999999']) }))).rejects.toThrow('account 999999999999 is the administrator account itself');
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: [], FailOnUnprocessed: 'maybe' }))).rejects.toThrow("FailOnUnprocessed: expected 'true' or 'false', got 'maybe'");
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: [], MemberRemoval: 'SHRED' }))).rejects.toThrow("MemberRemoval: expected DELETE or DISASSOCIATE, got 'SHRED'");
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: 'bad/id', Members: [] }))).rejects.toThrow("DetectorId: 'bad/id' is not a detector ID");
    await expect(run(cfnEvent('Create', { Service: 'Shield', Members: [] }))).rejects.toThrow("Service: expected one of GuardDuty, Detective, SecurityHub, Inspector, Macie, got 'Shield'");
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, Members: ['no-separator'] }))).rejects.toThrow('Members[0] is not of the form accountId:email');
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, MembersCompressed: 'bm90IHpsaWI=' }))).rejects.toThrow(/^MembersCompressed does not decompress/);
    await expect(run(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: DETECTOR, ...compressed(accountIds(2)), MemberCount: '3' })))
      .rejects.toThrow('MembersCompressed holds 2 entries, but MemberCount is 3');
    expect(gd.calls).toEqual([]);
  });

  test('work that does not fit one invocation continues in the next: 1,000 accounts with room for one call each', async () => {
    const ids = accountIds(1000);
    // Each invocation starts past its deadline: it sends one call and hands over.
    const remaining = jest.fn(() => TIME_RESERVE_MS - 1);
    const context = { ...lambdaContext, getRemainingTimeInMillis: remaining };
    const response = await handleEvent(cfnEvent('Create', props(ids)), context, testClients(endpoint));
    // Read once per invocation: onEvent, then one isComplete per batch (20 creates, each with its invitation).
    expect(remaining).toHaveBeenCalledTimes(1 + 20);
    expect(gd.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'Invited'])));
    expect(response.Data).toMatchObject({ Created: 1000, Invited: 1000, Unprocessed: 0 });
    // Each account was created and invited exactly once, across many invocations.
    expect(gd.callsOf('CreateMembers').flatMap((c) => c.accounts).sort()).toEqual(ids);
    expect(gd.callsOf('InviteMembers').flatMap((c) => c.accounts).sort()).toEqual(ids);
    expect(gd.callsOf('CreateMembers').length).toBeGreaterThanOrEqual(20);
  }, 60_000);
});

describe('update', () => {
  test('compressed declarations (large lists) reconcile like readable ones, in either direction', async () => {
    const ids = accountIds(5);
    await run(cfnEvent('Create', props([], compressed(ids.slice(0, 3)))));
    await run(cfnEvent('Update', props([], compressed(ids.slice(1))), { old: props([], compressed(ids.slice(0, 3))), physicalId: DETECTOR }));
    expect(Object.keys(gd.state())).toEqual(ids.slice(1));
    // From the compressed form back to the readable one: the old compressed list still owns its accounts.
    await run(cfnEvent('Update', props(ids.slice(3)), { old: props([], compressed(ids.slice(1))), physicalId: DETECTOR }));
    expect(Object.keys(gd.state())).toEqual(ids.slice(3));
  });

  test('an old declaration that does not decode owns nothing (it was never applied)', async () => {
    const [a, b] = accountIds(2);
    gd.add(a, 'Enabled');
    await run(cfnEvent('Update', props([b]), { old: props([], { MembersCompressed: 'garbage' }), physicalId: DETECTOR }));
    expect(gd.state()).toEqual({ [a]: 'Enabled', [b]: 'Invited' });
  });

  test('adds before it removes, and removes only what it declared before', async () => {
    const [a, b, c, d] = accountIds(4);
    await create([a, b, c]);
    gd.members.get(a)!.status = 'Enabled';
    gd.add('999999999990', 'Enabled');
    gd.calls.length = 0;

    const response = await update([a, d], [a, b, c]);

    expect(gd.state()).toEqual({ [a]: 'Enabled', [d]: 'Invited', 999999999990: 'Enabled' });
    expect(gd.sequence()).toEqual(['ListMembers', 'CreateMembers', 'GetMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers']);
    expect(response.Data).toEqual({ DetectorId: DETECTOR, Created: 1, Invited: 1, Removed: 2, Unchanged: 1, Unprocessed: 0, Disabled: 0 });
  });

  test('DISASSOCIATE keeps the member details of removed accounts', async () => {
    const [a, b] = accountIds(2);
    await create([a, b], { MemberRemoval: 'DISASSOCIATE' });
    await update([a], [a, b], { MemberRemoval: 'DISASSOCIATE' });
    expect(gd.state()).toEqual({ [a]: 'Invited', [b]: 'Removed' });
    expect(gd.callsOf('DeleteMembers')).toHaveLength(0);
  });

  test('declaring a disassociated member again invites it again', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Removed');
    await update([a], []);
    expect(gd.state()).toEqual({ [a]: 'Invited' });
  });

  test('a changed email on a pending member: delete and create again with the new email', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'EmailVerificationFailed', 'wrong@example.com');
    await update([a], [a]);
    expect(gd.members.get(a)).toMatchObject({ email: `${a}@example.com`, status: 'Invited' });
    expect(gd.sequence()).toEqual(['ListMembers', 'DeleteMembers', 'CreateMembers', 'GetMembers', 'InviteMembers']);
  });

  test.each(['Enabled', 'Disabled'])('an accepted member (%s) whose recorded email differs is kept, and the difference logged', async (status) => {
    const [a] = accountIds(1);
    gd.add(a, status, 'old-address@example.com');
    const response = await update([a], [a]);
    expect(gd.state()).toEqual({ [a]: status });
    expect(gd.sequence()).toEqual(['ListMembers']);
    expect(response.Data).toMatchObject({ Unchanged: 1, Disabled: status === 'Disabled' ? 1 : 0 });
    expect(logs.some((l) => l.includes('recorded email differs') && l.includes(a))).toBe(true);
  });

  test('a member whose verification failed with the declared email is reported, not retried', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'EmailVerificationFailed');
    await expect(update([a], [a])).rejects.toThrow(/InviteMembers, 1 account: "email verification failed \(EmailVerificationFailed\)/);
    expect(gd.callsOf('CreateMembers')).toHaveLength(0);
  });

  test('removals that GuardDuty refuses fail the deployment after the additions', async () => {
    const [a, b] = accountIds(2);
    gd.add(a, 'Enabled');
    gd.autoEnableAll.add(a);
    await expect(update([b], [a])).rejects.toThrow(`1 account of 1 to remove could not be removed. DisassociateMembers, 1 account: "The request is rejected because the organization has auto-enable set to ALL." (${a})`);
    // Addition happened, the refused member was not deleted.
    expect(gd.state()).toEqual({ [a]: 'Enabled', [b]: 'Invited' });
  });

  test('a failed update followed by the rollback update leaves membership as before', async () => {
    const [a, b, c, bad] = accountIds(4);
    gd.add(a, 'Enabled');
    gd.add(b, 'Invited');
    gd.add('999999999990', 'Enabled');
    const before = gd.state();
    gd.boundElsewhere.set(bad, 'belongs to another administrator');

    // The update adds c and bad, drops b: bad fails, so nothing is removed.
    await expect(update([a, c, bad], [a, b])).rejects.toThrow(/belongs to another administrator.*No member was removed/);
    expect(gd.state()).toEqual({ ...before, [c]: 'Invited' });

    // CloudFormation rolls back: new and old properties swapped.
    await update([a, b], [a, c, bad]);
    expect(gd.state()).toEqual(before);
  });

  test('a new detector is a replacement: the previous declaration owns nothing there', async () => {
    const [a, b] = accountIds(2);
    gd.detectorIds = ['dnew', DETECTOR];
    const response = await run(cfnEvent('Update', props([a], { DetectorId: 'dnew' }), { old: props([a, b]), physicalId: DETECTOR }));
    expect(response.PhysicalResourceId).toBe('dnew');
    expect(gd.callsOf('DisassociateMembers')).toHaveLength(0);
    expect(gd.callsOf('DeleteMembers')).toHaveLength(0);
  });

  test('a failed replacement is undone like a failed create', async () => {
    const [a, bad] = accountIds(2);
    gd.detectorIds = ['dnew', DETECTOR];
    gd.boundElsewhere.set(bad, 'belongs to another administrator');
    await expect(run(cfnEvent('Update', props([a, bad], { DetectorId: 'dnew' }), { old: props([a]), physicalId: DETECTOR })))
      .rejects.toThrow(/were removed again/);
    expect(gd.state()).toEqual({});
  });
});

describe('delete of a resource deployed before the ledger (its properties say what it declared)', () => {
  test('removes the declared members that are still members, nothing else', async () => {
    const [a, b, c] = accountIds(3);
    gd.add(a, 'Enabled');
    gd.add(b, 'Created');
    gd.add('999999999990', 'Enabled');
    const response = await run(cfnEvent('Delete', legacy([a, b, c]), { physicalId: DETECTOR }));
    expect(gd.state()).toEqual({ 999999999990: 'Enabled' });
    expect(response).toEqual({ PhysicalResourceId: DETECTOR, Data: expect.objectContaining({ Removed: 2 }) });
  });

  test('DISASSOCIATE leaves the member details', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Enabled');
    await run(cfnEvent('Delete', legacy([a], { MemberRemoval: 'DISASSOCIATE' }), { physicalId: DETECTOR }));
    expect(gd.state()).toEqual({ [a]: 'Removed' });
  });

  test('a detector that no longer exists is success', async () => {
    gd.detectorIds = [];
    const response = await run(cfnEvent('Delete', legacy(accountIds(2)), { physicalId: DETECTOR }));
    expect(response.PhysicalResourceId).toBe(DETECTOR);
    // GetDetector confirms it: BadRequestException alone is GuardDuty's answer to any bad input.
    expect(gd.sequence()).toEqual(['GetDetector']);
    expect(logs.some((l) => l.includes('detector is gone'))).toBe(true);
  });

  test('any other refusal of ListMembers fails the delete with the reason, while the detector exists', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Enabled');
    gd.failNext('ListMembers', serviceError('BadRequestException', 'The request is rejected because an invalid or out-of-range value is specified.'));
    await expect(run(cfnEvent('Delete', legacy([a]), { physicalId: DETECTOR }))).rejects.toThrow('The request is rejected because an invalid or out-of-range value is specified.');
    expect(gd.sequence()).toEqual(['ListMembers', 'GetDetector']);
    expect(gd.state()).toEqual({ [a]: 'Enabled' });
  });

  test('access denied on delete is a failure, not a gone detector', async () => {
    gd.failNext('ListMembers', serviceError('AccessDeniedException', 'User is not authorized to perform guardduty:ListMembers'));
    await expect(run(cfnEvent('Delete', legacy(accountIds(1)), { physicalId: DETECTOR }))).rejects.toThrow(/not authorized/);
    expect(gd.callsOf('GetDetector')).toHaveLength(0);
  });

  test('members already gone is success', async () => {
    const response = await run(cfnEvent('Delete', legacy(accountIds(2)), { physicalId: DETECTOR }));
    expect(response.Data.Removed).toBe(0);
    expect(gd.callsOf('DeleteMembers')).toHaveLength(0);
  });

  test('is not blocked by a declaration that failed validation', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Enabled');
    await run(cfnEvent('Delete', { Service: 'GuardDuty', Members: [`${a}:${a}@example.com`, 'garbage', '123:x@y'], FailOnUnprocessed: 'maybe', MemberRemoval: 'SHRED', RemovalPolicy: 'DESTROY' }, { physicalId: DETECTOR }));
    expect(gd.state()).toEqual({});
  });

  test('refused removals fail the delete with the reason', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Enabled');
    gd.autoEnableAll.add(a);
    await expect(run(cfnEvent('Delete', legacy([a]), { physicalId: DETECTOR }))).rejects.toThrow(/auto-enable set to ALL/);
  });

  test('refused removals with failOnUnprocessed false are counted', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Enabled');
    gd.autoEnableAll.add(a);
    const response = await run(cfnEvent('Delete', legacy([a], { FailOnUnprocessed: 'false' }), { physicalId: DETECTOR }));
    expect(response.Data.Unprocessed).toBe(1);
  });
});

describe('failure reasons', () => {
  test('300 failing accounts: the reason stays within the budget and names as many as fit', async () => {
    const ids = accountIds(300);
    ids.forEach((id, i) => gd.boundElsewhere.set(id, `Account is bound to administrator ${i % 3}`));
    let message = '';
    try {
      await create(ids);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(REASON_BUDGET_BYTES);
    expect(message).toMatch(/^GuardDuty: 300 accounts of 300 declared could not be brought to the declared state\./);
    expect(message).toContain('CreateMembers, 100 accounts: "Account is bound to administrator 0"');
    expect(message).toMatch(/\+\d+ more\)/);
    expect(message).toMatch(/\d+ account\(s\) not named here are in the log/);
    const named = message.match(/\d{12}/g)!.length;
    expect(named).toBeGreaterThan(100);
    // The full list is in the log.
    const failureLog = logs.find((l) => l.includes('additions failed'))!;
    expect(ids.every((id) => failureLog.includes(id))).toBe(true);
  });

  test('the Lambda entry point keeps the stack trace to one line and turns unexpected errors into reasons naming the request', async () => {
    gd.failNext('ListMembers', serviceError('AccessDeniedException', 'User is not authorized to perform guardduty:ListMembers'));
    // The isComplete call of a create: the event carries what onEvent returned.
    const event = { ...cfnEvent('Create', props(accountIds(1))), PhysicalResourceId: DETECTOR, CdkSecurityMembers: { startedAt: Date.now() } };
    const error = await withEndpointEnv(endpoint, () => handler(event as never, lambdaContext as never).catch((e: Error) => e));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`AccessDeniedException: User is not authorized to perform guardduty:ListMembers (request ${event.RequestId})`);
    expect((error as Error).stack!.split('\n')).toHaveLength(1);
  });
});

test('no log line carries an email address', async () => {
  const ids = accountIds(60);
  gd.boundElsewhere.set(ids[5], 'invitation to someone@example.com failed');
  await create(ids).catch(() => undefined);
  await run(cfnEvent('Delete', props(ids), { physicalId: DETECTOR }));
  expect(logs.length).toBeGreaterThan(5);
  for (const line of logs) {
    expect(line).not.toMatch(/[^\s"]+@[^\s"]+\.[a-z]+/);
  }
});
