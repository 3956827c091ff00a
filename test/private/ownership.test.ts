/**
 * The ownership rules of the handler, over the GuardDuty fake and the local endpoint's Parameter
 * Store and CloudFormation: claims, the last claim removing, rollbacks, the removal guard, the lock.
 */
import { accountIds, cfnEvent, encoded, FakeGuardDuty, lambdaContext, testClients } from './fakes';
import { encodeAccounts } from '../../src/private/ledger/codec';
import { handleEvent, route, TIME_RESERVE_MS } from '../../src/private/reconcile.lambda';
import { LOCK_TTL_MS } from '../../src/private/run/budgets';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

let gd: FakeGuardDuty;
let endpoint: Endpoint;
let stackId: string;
const DETECTOR = 'd0123456789abcdef0123456789abcdef';

beforeEach(async () => {
  gd = new FakeGuardDuty();
  endpoint = await startEndpoint();
  stackId = endpoint.cloudFormation.createStack('Security');
  for (const level of ['info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
});

afterEach(async () => {
  gd.mock.restore();
  jest.restoreAllMocks();
  await endpoint.stop();
});

function props(ids: string[], extra: Record<string, unknown> = {}) {
  return { Service: 'GuardDuty', DetectorId: DETECTOR, Members: encoded(ids), Schema: '2', ...extra };
}

type Options = { logicalId?: string; stackId?: string };
const run = (event: ReturnType<typeof cfnEvent>) => handleEvent(event, lambdaContext, testClients(endpoint));
const create = (ids: string[], o: Options = {}, extra?: Record<string, unknown>) =>
  run(cfnEvent('Create', props(ids, extra), { stackId, ...o }));
const update = (ids: string[], oldIds: string[], o: Options = {}, extra?: Record<string, unknown>, oldExtra = extra) =>
  run(cfnEvent('Update', props(ids, extra), { old: props(oldIds, oldExtra), physicalId: DETECTOR, stackId, ...o }));
const remove = (ids: string[], o: Options = {}, extra?: Record<string, unknown>) =>
  run(cfnEvent('Delete', props(ids, extra), { physicalId: DETECTOR, stackId, ...o }));
const claimParameters = () => [...endpoint.ssm.parameters.keys()].filter((name) => name.includes('/claim/'));
const mutating = () => gd.calls.filter((c) => ['CreateMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers'].includes(c.operation));

test('two resources hold one account: deleting the first keeps it, deleting the last removes it', async () => {
  const [shared, a, b] = accountIds(3);
  await create([shared, a], { logicalId: 'First' });
  await create([shared, b], { logicalId: 'Second' });
  await remove([shared, a], { logicalId: 'First' });
  expect(Object.keys(gd.state())).toEqual([shared, b]);
  await remove([shared, b], { logicalId: 'Second' });
  expect(gd.state()).toEqual({});
  expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
});

test('an update that drops an account another resource holds releases it instead of removing it', async () => {
  const [shared, a] = accountIds(2);
  await create([shared, a], { logicalId: 'First' });
  await create([shared], { logicalId: 'Second' });
  await update([a], [shared, a], { logicalId: 'First' });
  expect(Object.keys(gd.state())).toEqual([shared, a]);
});

test('accounts the stack\'s other constructs declare (known from synth time) are never removed, whatever the update order', async () => {
  const [a, moved] = accountIds(2);
  await create([a, moved], { logicalId: 'Giver' });
  gd.calls.length = 0;
  // The giver updates first: the receiver's claim does not hold `moved` yet, its declaration does.
  await update([a], [a, moved], { logicalId: 'Giver' }, { Siblings: { Accounts: encodeAccounts([moved]) } }, {});
  expect(Object.keys(gd.state())).toEqual([a, moved]);
  expect(mutating()).toEqual([]);
});

test('a claim whose stack was deleted does not block the removal, and is cleaned up', async () => {
  const [a] = accountIds(1);
  const gone = endpoint.cloudFormation.createStack('Gone');
  await create([a], { logicalId: 'Abandoned', stackId: gone });
  endpoint.cloudFormation.deleteStack(gone);
  await create([a], { logicalId: 'Owner' });
  await remove([a], { logicalId: 'Owner' });
  expect(gd.state()).toEqual({});
  expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
});

test('RETAIN: deleting the resource keeps its members and deletes its claim', async () => {
  const [a] = accountIds(1);
  await create([a], {}, { RemovalPolicy: 'RETAIN' });
  await remove([a], {}, { RemovalPolicy: 'RETAIN' });
  expect(Object.keys(gd.state())).toEqual([a]);
  expect(claimParameters()).toEqual([]);
});

describe('rollbacks, told by the stack status', () => {
  test('an update rolled back by CloudFormation puts back removed and created accounts, and the claim', async () => {
    const [kept, removed, created] = accountIds(3);
    await create([kept, removed]);
    gd.members.get(kept)!.status = 'Enabled';
    gd.members.get(removed)!.status = 'Enabled';
    await update([kept, created], [kept, removed]);
    expect(Object.keys(gd.state())).toEqual([kept, created]);

    // Another resource fails: CloudFormation sends the old properties back.
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await update([kept, removed], [kept, created]);
    // The removed account is back (invited again: it must accept again), the created one gone.
    expect(gd.state()).toEqual({ [kept]: 'Enabled', [removed]: 'Invited' });
    expect(gd.members.get(removed)!.email).toBe(`${removed}@example.com`);

    // The claim is the old one: deleting the resource removes exactly the old declaration.
    endpoint.cloudFormation.setStatus(stackId, 'DELETE_IN_PROGRESS');
    await remove([kept, removed]);
    expect(gd.state()).toEqual({});
  });

  test('a rollback update whose failed update changed nothing here changes nothing', async () => {
    const [a, b] = accountIds(2);
    await create([a]);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    gd.calls.length = 0;
    await update([a], [a, b]);
    expect(mutating()).toEqual([]);
    expect(Object.keys(gd.state())).toEqual([a]);
  });

  test('a resource created by a failed deployment: its rollback Delete removes what it created, never what it adopted', async () => {
    const [adopted, created] = accountIds(2);
    gd.add(adopted, 'Enabled');
    await create([adopted, created]);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await remove([adopted, created]);
    expect(gd.state()).toEqual({ [adopted]: 'Enabled' });
    expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
  });

  test('a create that failed undid itself: the Delete of its rollback finds nothing to do', async () => {
    const [a, bad] = accountIds(2);
    gd.boundElsewhere.set(bad, 'belongs to another administrator');
    await expect(create([a, bad])).rejects.toThrow(/were removed again/);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    gd.calls.length = 0;
    await remove([a, bad]);
    expect(gd.calls).toEqual([]);
    expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
  });
});

describe('the removal guard', () => {
  const twelve = accountIds(12);

  test('more removals than 25% of the previous declaration fail before any change, naming the number and the way out', async () => {
    await create(twelve);
    gd.calls.length = 0;
    await expect(update(twelve.slice(0, 8), twelve)).rejects.toThrow(
      'GuardDuty: this deployment would remove 4 accounts from the detector, more than the default limit of 3 (25% of the 12 accounts declared before, rounded up). Nothing was changed. If the removals are intended, set maxRemovals to 4 or more',
    );
    expect(mutating()).toEqual([]);
    expect(Object.keys(gd.state())).toHaveLength(12);
  });

  test('an empty declaration is caught the same way', async () => {
    await create(twelve);
    await expect(update([], twelve)).rejects.toThrow(/would remove 12 accounts/);
  });

  test('maxRemovals lets a deployment remove that many', async () => {
    await create(twelve);
    await update([], twelve, {}, { MaxRemovals: '12' }, {});
    expect(gd.state()).toEqual({});
  });

  test('maxRemovals 0 refuses any removal; below 10 accounts there is no default limit', async () => {
    const few = accountIds(9);
    await create(few);
    await expect(update(few.slice(1), few, {}, { MaxRemovals: '0' }, {})).rejects.toThrow(/more than the 0 that maxRemovals allows/);
    await update([], few);
    expect(gd.state()).toEqual({});
  });
});

describe('one run at a time per target', () => {
  test('while another run holds the target\'s lock, an invocation waits (answers not complete) and changes nothing', async () => {
    const [a] = accountIds(1);
    const lock = '/cdk-security-members/guardduty/d0123456789abcdef0123456789abcdef/lock';
    await endpoint.ssm.put({ Name: lock, Value: JSON.stringify({ owner: 'other-run', expires: Date.now() + 60_000 }), Type: 'String' });
    const event = cfnEvent('Create', props([a]), { stackId });
    const started = await route(event, lambdaContext, testClients(endpoint));
    const slice = await route({ ...event, ...started } as never, lambdaContext, testClients(endpoint));
    expect(slice).toEqual({ IsComplete: false });
    expect(gd.calls).toEqual([]);
    // A holder that died lets go once its lock expires.
    await endpoint.ssm.put({ Name: lock, Value: JSON.stringify({ owner: 'other-run', expires: Date.now() - 1 }), Type: 'String', Overwrite: true });
    expect(await route({ ...event, ...started } as never, lambdaContext, testClients(endpoint))).toMatchObject({ IsComplete: true });
    expect(Object.keys(gd.state())).toEqual([a]);
    expect(endpoint.ssm.parameters.has(lock)).toBe(false);
    expect(LOCK_TTL_MS).toBeGreaterThan(14 * 60_000);
  });
});

describe('reading live state', () => {
  test('with a fresh census, a large detector is read account by account, in parallel, instead of page by page', async () => {
    for (const id of accountIds(2000, 500000000000)) gd.add(id, 'Enabled');
    const mine = accountIds(100);
    await create(mine);
    // The first run had no census: it listed the 2,000 members, 40 pages of 50.
    expect(gd.callsOf('ListMembers')).toHaveLength(40);
    gd.calls.length = 0;
    await update([...mine, ...accountIds(10, 200000000000)], mine);
    expect(gd.callsOf('ListMembers')).toHaveLength(0);
    expect(gd.callsOf('GetMembers').length).toBeLessThanOrEqual(4);
  });

  test('near the quota the exact count is read before adding', async () => {
    for (const id of accountIds(46_000, 500000000000)) gd.add(id, 'Enabled');
    const mine = accountIds(10);
    await create(mine);
    gd.calls.length = 0;
    await update([...mine, ...accountIds(10, 200000000000)], mine);
    expect(gd.callsOf('ListMembers').length).toBeGreaterThan(0);
  }, 60_000);
});

test('the Provider framework calling isComplete again for a finished run changes nothing and answers the same counts', async () => {
  const ids = accountIds(3);
  const event = cfnEvent('Create', props(ids), { stackId });
  const started = await route(event, lambdaContext, testClients(endpoint));
  const first = await route({ ...event, ...started } as never, lambdaContext, testClients(endpoint));
  gd.calls.length = 0;
  const again = await route({ ...event, ...started } as never, lambdaContext, testClients(endpoint));
  expect(again).toEqual(first);
  expect(mutating()).toEqual([]);
});

test('a long create continues across invocations and records what it created, so its rollback removes exactly that', async () => {
  const [adopted] = accountIds(1, 300000000000);
  gd.add(adopted, 'Enabled');
  const ids = [adopted, ...accountIds(300)];
  const remaining = jest.fn(() => TIME_RESERVE_MS - 1);
  const context = { ...lambdaContext, getRemainingTimeInMillis: remaining };
  await handleEvent(cfnEvent('Create', props(ids), { stackId }), context, testClients(endpoint));
  expect(Object.keys(gd.state())).toHaveLength(301);
  // One batch per invocation: onEvent, then 6 creates, each with its invitation (the adopted member is kept).
  expect(remaining).toHaveBeenCalledTimes(1 + 6);
  endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
  await handleEvent(cfnEvent('Delete', props(ids), { physicalId: DETECTOR, stackId }), context, testClients(endpoint));
  expect(gd.state()).toEqual({ [adopted]: 'Enabled' });
});
