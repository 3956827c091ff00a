/** Security Hub through the handler, over a stateful fake and the local endpoint's ledger. */
import { ListMembersCommand } from '@aws-sdk/client-securityhub';
import { accountIds, cfnEvent, encoded, FakeSecurityHub, HUB_ARN, lambdaContext, serviceError, testClients } from './fakes';
import { handleEvent, HandlerResponse } from '../../src/private/reconcile.lambda';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

let sh: FakeSecurityHub;
let endpoint: Endpoint;
let stackId: string;

beforeEach(async () => {
  sh = new FakeSecurityHub();
  endpoint = await startEndpoint();
  stackId = endpoint.cloudFormation.createStack('Security');
  for (const level of ['info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
});

afterEach(async () => {
  sh.mock.restore();
  jest.restoreAllMocks();
  await endpoint.stop();
});

function props(ids: string[], extra: Record<string, unknown> = {}) {
  return { Service: 'SecurityHub', Members: encoded(ids), Invite: 'true', FailOnUnprocessed: 'true', Schema: '2', ...extra };
}

const run = (event: ReturnType<typeof cfnEvent>) => handleEvent(event, lambdaContext, testClients(endpoint));
const create = (ids: string[], extra?: Record<string, unknown>): Promise<HandlerResponse> => run(cfnEvent('Create', props(ids, extra), { stackId }));
const update = (ids: string[], oldIds: string[]) => run(cfnEvent('Update', props(ids), { old: props(oldIds), physicalId: HUB_ARN, stackId }));
const remove = (ids: string[]) => run(cfnEvent('Delete', props(ids), { physicalId: HUB_ARN, stackId }));

test('create: the hub first (DescribeHub), then CreateMembers, one read of the batch and invitations for the accounts left Created', async () => {
  const ids = accountIds(3);
  const response = await create(ids);
  expect(response).toEqual({
    PhysicalResourceId: HUB_ARN,
    Data: { HubArn: HUB_ARN, Created: 3, Invited: 3, Removed: 0, Unchanged: 0, Unprocessed: 0, Disabled: 0 },
  });
  expect(sh.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'Invited'])));
  expect(sh.sequence()).toEqual(['DescribeHub', 'ListMembers', 'CreateMembers', 'GetMembers', 'InviteMembers']);
});

test('organization accounts are enabled by CreateMembers and never invited', async () => {
  const [org, invited] = accountIds(2);
  sh.organization.add(org);
  const response = await create([org, invited]);
  expect(sh.state()).toEqual({ [org]: 'Enabled', [invited]: 'Invited' });
  expect(sh.callsOf('InviteMembers').flatMap((c) => c.accounts)).toEqual([invited]);
  expect(sh.invitesToOrganization).toEqual([]);
  expect(response.Data).toMatchObject({ Created: 2, Invited: 1 });
});

test('a stack whose account has no hub fails with a reason saying so, before any member call', async () => {
  sh.hubEnabled = false;
  await expect(create(accountIds(1))).rejects.toThrow(/SecurityHub: Security Hub is not enabled in this account and region .*DescribeHub answered "InvalidAccessException: Account 999999999999 is not subscribed to AWS Security Hub"\. Enable Security Hub/);
  expect(sh.sequence()).toEqual(['DescribeHub']);
});

test.each([
  [51, [50, 1]],
  [120, [50, 50, 20]],
])('%i accounts go out in full batches of at most 50', async (count, batches) => {
  const ids = accountIds(count);
  await create(ids);
  for (const operation of ['CreateMembers', 'GetMembers', 'InviteMembers']) {
    expect(sh.callsOf(operation).map((c) => c.accounts.length).sort((a, b) => b - a)).toEqual(batches);
  }
  expect(Object.keys(sh.state())).toHaveLength(count);
});

test('lists every member, page by page at the maximum of 50, OnlyAssociated false', async () => {
  for (const id of accountIds(120, 500000000000)) sh.add(id, 'Enabled');
  await create(accountIds(1));
  const calls = sh.mock.commandCalls(ListMembersCommand);
  expect(calls).toHaveLength(3);
  expect(calls.every((c) => c.args[0].input.MaxResults === 50 && c.args[0].input.OnlyAssociated === false)).toBe(true);
});

test('statuses are compared case-insensitively (ENABLED, ACCOUNT_SUSPENDED)', async () => {
  const [enabled, suspended, created] = accountIds(3);
  sh.upperCase = true;
  sh.add(enabled, 'Enabled', 'other@example.com');
  sh.add(suspended, 'AccountSuspended');
  sh.add(created, 'Created');
  const response = await update([enabled, suspended, created], []);
  // Accepted members stay whatever their email; the Created one is invited.
  expect(sh.callsOf('InviteMembers').flatMap((c) => c.accounts)).toEqual([created]);
  expect(sh.callsOf('DeleteMembers')).toHaveLength(0);
  expect(response.Data).toMatchObject({ Invited: 1, Unchanged: 2, Disabled: 1 });
});

test('"already a member" answers for accounts in place are success', async () => {
  sh.reportAppliedAsUnprocessed.add('CreateMembers');
  const response = await create(accountIds(2));
  expect(response.Data.Unprocessed).toBe(0);
  expect(sh.state()).toEqual(Object.fromEntries(accountIds(2).map((id) => [id, 'Invited'])));
});

test('a really unprocessed account fails the deployment with its reason, and the create is undone', async () => {
  const ids = accountIds(3);
  sh.boundElsewhere.set(ids[1], 'The account is a member of another administrator account.');
  await expect(create(ids)).rejects.toThrow(
    `SecurityHub: 1 account of 3 declared could not be brought to the declared state. CreateMembers, 1 account: "The account is a member of another administrator account." (${ids[1]});`,
  );
  expect(sh.state()).toEqual({});
});

test('update adds, then removes with DisassociateMembers and DeleteMembers; delete removes the rest', async () => {
  const [a, b, c] = accountIds(3);
  await create([a, b]);
  sh.members.get(a)!.status = 'Enabled';
  sh.calls.length = 0;
  const response = await update([a, c], [a, b]);
  expect(sh.state()).toEqual({ [a]: 'Enabled', [c]: 'Invited' });
  expect(sh.sequence()).toEqual(['DescribeHub', 'ListMembers', 'CreateMembers', 'GetMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers']);
  expect(response.Data).toMatchObject({ Created: 1, Removed: 1, Unchanged: 1 });
  await remove([a, c]);
  expect(sh.state()).toEqual({});
});

test('a failed update, then CloudFormation\'s rollback: membership as before', async () => {
  const [a, b, bad] = accountIds(3);
  await create([a]);
  sh.members.get(a)!.status = 'Enabled';
  const before = sh.state();
  sh.boundElsewhere.set(bad, 'The account is a member of another administrator account.');
  await expect(update([a, b, bad], [a])).rejects.toThrow(/No member was removed/);
  endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
  await update([a], [a, b, bad]);
  expect(sh.state()).toEqual(before);
});

test('a hub no longer enabled on delete is success; another refusal is a failure', async () => {
  const [a] = accountIds(1);
  await create([a]);
  sh.hubEnabled = false;
  await expect(remove([a])).resolves.toMatchObject({ PhysicalResourceId: HUB_ARN });
  sh.hubEnabled = true;
  await create([a]);
  sh.failNext('ListMembers', serviceError('AccessDeniedException', 'not authorized'));
  sh.failNext('GetMembers', serviceError('AccessDeniedException', 'not authorized'));
  await expect(remove([a])).rejects.toThrow(/not authorized/);
});
