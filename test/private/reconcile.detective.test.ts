import { CreateMembersCommand, ListMembersCommand } from '@aws-sdk/client-detective';
import { accountIds, cfnEvent, encoded, FakeDetective, GRAPH_ARN, lambdaContext, serviceError, testClients } from './fakes';
import { handleEvent, HandlerResponse } from '../../src/private/reconcile.lambda';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

let dt: FakeDetective;

let endpoint: Endpoint;

beforeEach(async () => {
  endpoint = await startEndpoint();
  dt = new FakeDetective();
  for (const level of ['info', 'warn', 'error'] as const) {
    jest.spyOn(console, level).mockImplementation(() => undefined);
  }
});

afterEach(async () => {
  await endpoint.stop();
  dt.mock.restore();
  jest.restoreAllMocks();
});

function props(ids: string[], extra: Record<string, unknown> = {}) {
  return { Service: 'Detective', GraphArn: GRAPH_ARN, Members: encoded(ids), FailOnUnprocessed: 'true', Schema: '2', ...extra };
}

/** Properties as a version before the ownership ledger wrote them. */
function legacy(ids: string[], extra: Record<string, unknown> = {}) {
  const { Schema: _schema, ...rest } = props(ids, extra);
  return rest;
}

const run = (event: ReturnType<typeof cfnEvent>) => handleEvent(event, lambdaContext, testClients(endpoint));
const create = (ids: string[], extra?: Record<string, unknown>): Promise<HandlerResponse> => run(cfnEvent('Create', props(ids, extra)));
const update = (ids: string[], oldIds: string[]): Promise<HandlerResponse> =>
  run(cfnEvent('Update', props(ids), { old: props(oldIds), physicalId: GRAPH_ARN }));

test('create: CreateMembers invites by itself, message passed through', async () => {
  const ids = accountIds(3);
  const response = await create(ids, { Message: 'Join us', DisableEmailNotification: 'true' });
  expect(response).toEqual({
    PhysicalResourceId: GRAPH_ARN,
    Data: { GraphArn: GRAPH_ARN, Created: 3, Invited: 3, Removed: 0, Unchanged: 0, Unprocessed: 0, Disabled: 0 },
  });
  expect(dt.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'INVITED'])));
  expect(dt.sequence()).toEqual(['ListMembers', 'CreateMembers']);
  const input = dt.mock.commandCalls(CreateMembersCommand)[0].args[0].input;
  expect(input).toMatchObject({ GraphArn: GRAPH_ARN, Message: 'Join us', DisableEmailNotification: true });
});

test('organization and invited accounts mixed: only the invited ones count as invited', async () => {
  const [org, invited] = accountIds(2);
  dt.organization.add(org);
  const response = await create([org, invited]);
  expect(dt.state()).toEqual({ [org]: 'ENABLED', [invited]: 'INVITED' });
  expect(response.Data).toMatchObject({ Created: 2, Invited: 1 });
});

test('CreateMembers reporting VERIFICATION_FAILED in Members fails the deployment with the reason; the create is undone', async () => {
  const [a, wrong] = accountIds(2);
  dt.rootEmails.set(wrong, 'the-real-root@example.com');
  await expect(create([a, wrong])).rejects.toThrow(
    `Detective: 1 account of 2 declared could not be brought to the declared state. CreateMembers, 1 account: "email verification failed (VERIFICATION_FAILED): the declared email is not the account's root email" (${wrong});`,
  );
  expect(dt.state()).toEqual({});
});

test('organization accounts accepted but disabled: not a failure, logged with DisabledReason, counted in Disabled', async () => {
  const logs: string[] = [];
  jest.spyOn(console, 'warn').mockImplementation((entry: unknown) => logs.push(JSON.stringify(entry)));
  const [org, disabled] = accountIds(2);
  dt.organization.add(org);
  dt.organization.add(disabled);
  dt.disabledReason.set(disabled, 'VOLUME_UNKNOWN');
  const response = await create([org, disabled]);
  expect(dt.state()).toEqual({ [org]: 'ENABLED', [disabled]: 'ACCEPTED_BUT_DISABLED' });
  expect(response.Data).toMatchObject({ Created: 2, Invited: 0, Disabled: 1, Unprocessed: 0 });
  expect(logs.some((l) => l.includes('accepted but disabled') && l.includes(disabled) && l.includes('VOLUME_UNKNOWN'))).toBe(true);
  // The next deployment counts it again, from live state.
  expect((await update([org, disabled], [org, disabled])).Data).toMatchObject({ Unchanged: 2, Disabled: 1 });
});

test('an ACCEPTED_BUT_DISABLED member whose recorded email differs is kept (recreating it would make it accept again)', async () => {
  const [a] = accountIds(1);
  dt.add(a, 'ACCEPTED_BUT_DISABLED', 'old@example.com');
  await update([a], [a]);
  expect(dt.sequence()).toEqual(['ListMembers']);
  expect(dt.members.get(a)).toMatchObject({ status: 'ACCEPTED_BUT_DISABLED', email: 'old@example.com' });
});

test('discovers the graph with ListGraphs when none is given', async () => {
  const response = await create(accountIds(1), { GraphArn: undefined });
  expect(response.PhysicalResourceId).toBe(GRAPH_ARN);
  expect(dt.sequence()[0]).toBe('ListGraphs');
});

test('fails clearly when there is no graph to discover', async () => {
  dt.graphArns = [];
  await expect(create(accountIds(1), { GraphArn: undefined })).rejects.toThrow(/ListGraphs found 0 behavior graphs.*pass graphArn/);
});

test('rejects a resolved graph ARN that does not match the pattern', async () => {
  await expect(create(accountIds(1), { GraphArn: 'arn:aws:detective:us-east-1:999999999999:graph:XYZ' })).rejects.toThrow("GraphArn: 'arn:aws:detective:us-east-1:999999999999:graph:XYZ' is not a behavior graph ARN");
});

test('the graph administrator cannot be declared as its own member', async () => {
  await expect(create(['999999999999'])).rejects.toThrow('account 999999999999 is the administrator account itself');
});

test.each([
  [51, [50, 1]],
  [120, [50, 50, 20]],
])('%i accounts go out in batches of at most 50', async (count, batches) => {
  await create(accountIds(count));
  expect(dt.callsOf('CreateMembers').map((c) => c.accounts.length).sort((a, b) => b - a)).toEqual(batches);
  expect(Object.keys(dt.state())).toHaveLength(count);
});

test('lists members with the page maximum of 200', async () => {
  for (const id of accountIds(450, 500000000000)) dt.add(id, 'ENABLED');
  await create(accountIds(1));
  const calls = dt.mock.commandCalls(ListMembersCommand);
  expect(calls).toHaveLength(3);
  expect(calls.every((c) => c.args[0].input.MaxResults === 200)).toBe(true);
});

test('"Account is already a member" for accounts that are in place is success', async () => {
  dt.reportAppliedAsUnprocessed.add('CreateMembers');
  const response = await create(accountIds(2));
  expect(response.Data.Unprocessed).toBe(0);
  expect(dt.callsOf('GetMembers')).toHaveLength(1);
});

test('quota: past 1,200 members fails before anything changes', async () => {
  for (const id of accountIds(1190, 500000000000)) dt.add(id, 'ENABLED');
  await expect(create(accountIds(20))).rejects.toThrow('Detective: the declaration would bring membership to 1210 accounts (1190 now, 20 to add), over the service limit of 1200. Nothing was changed.');
  expect(dt.callsOf('CreateMembers')).toHaveLength(0);
});

test('a service quota error mid-way is reported with the service reason and the create undone', async () => {
  dt.failNext('CreateMembers', serviceError('ServiceQuotaExceededException', 'This request cannot be completed because it would exceed the member account quota'));
  const ids = accountIds(60);
  await expect(create(ids)).rejects.toThrow(/CreateMembers, 50 accounts: "ServiceQuotaExceededException: This request cannot be completed/);
  expect(dt.state()).toEqual({});
});

test('a really unprocessed account fails the deployment with its reason; the create is undone', async () => {
  const ids = accountIds(3);
  dt.boundElsewhere.set(ids[1], 'Account is a member of another behavior graph');
  await expect(create(ids)).rejects.toThrow(`Detective: 1 account of 3 declared could not be brought to the declared state. CreateMembers, 1 account: "Account is a member of another behavior graph" (${ids[1]});`);
  expect(dt.state()).toEqual({});
});

test('VERIFICATION_FAILED with the declared email is reported; with a new email the member is recreated', async () => {
  const [a, b] = accountIds(2);
  dt.add(a, 'VERIFICATION_FAILED');
  dt.add(b, 'VERIFICATION_FAILED', 'wrong@example.com');
  await expect(update([a, b], [a, b])).rejects.toThrow(`CreateMembers, 1 account: "email verification failed (VERIFICATION_FAILED): the declared email is not the account's root email; declare the right address to recreate the member" (${a})`);
  expect(dt.members.get(b)).toMatchObject({ status: 'INVITED', email: `${b}@example.com` });
});

test('update adds, then removes only previously declared members', async () => {
  const [a, b, c] = accountIds(3);
  await create([a, b]);
  dt.add('999999999990', 'ENABLED');
  dt.calls.length = 0;
  const response = await update([a, c], [a, b]);
  expect(dt.state()).toEqual({ [a]: 'INVITED', [c]: 'INVITED', 999999999990: 'ENABLED' });
  expect(dt.sequence()).toEqual(['ListMembers', 'CreateMembers', 'DeleteMembers']);
  expect(response.Data).toMatchObject({ Created: 1, Removed: 1, Unchanged: 1 });
});

test('failed update, then the rollback update: membership as before', async () => {
  const [a, b, c, bad] = accountIds(4);
  dt.add(a, 'ENABLED');
  dt.add(b, 'INVITED');
  const before = dt.state();
  dt.boundElsewhere.set(bad, 'Account is a member of another behavior graph');
  await expect(update([a, c, bad], [a, b])).rejects.toThrow(/No member was removed/);
  await update([a, b], [a, c, bad]);
  expect(dt.state()).toEqual(before);
});

test('a new graph is a replacement', async () => {
  const other = 'arn:aws:detective:us-east-1:999999999999:graph:ffffffffffffffffffffffffffffffff';
  dt.graphArns = [other, GRAPH_ARN];
  const [a, b] = accountIds(2);
  const response = await run(cfnEvent('Update', props([a], { GraphArn: other }), { old: props([a, b]), physicalId: GRAPH_ARN }));
  expect(response.PhysicalResourceId).toBe(other);
  expect(dt.callsOf('DeleteMembers')).toHaveLength(0);
});

describe('delete of a resource deployed before the ledger', () => {
  test('removes declared members still present', async () => {
    const [a, b] = accountIds(2);
    dt.add(a, 'ENABLED');
    dt.add('999999999990', 'ENABLED');
    const response = await run(cfnEvent('Delete', legacy([a, b]), { physicalId: GRAPH_ARN }));
    expect(dt.state()).toEqual({ 999999999990: 'ENABLED' });
    expect(response.Data.Removed).toBe(1);
  });

  test('a graph that no longer exists is success', async () => {
    dt.graphArns = [];
    await expect(run(cfnEvent('Delete', legacy(accountIds(1)), { physicalId: GRAPH_ARN }))).resolves.toMatchObject({ PhysicalResourceId: GRAPH_ARN });
  });

  test('a physical ID that is no graph (never created) is success without calls', async () => {
    await run(cfnEvent('Delete', legacy(accountIds(1)), { physicalId: 'not-a-graph' }));
    expect(dt.calls).toEqual([]);
  });

  test('other errors are not mistaken for a missing graph', async () => {
    dt.failNext('ListMembers', serviceError('AccessDeniedException', 'denied'));
    await expect(run(cfnEvent('Delete', legacy(accountIds(1)), { physicalId: GRAPH_ARN }))).rejects.toThrow('denied');
  });
});
