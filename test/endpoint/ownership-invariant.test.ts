/**
 * The ownership invariant, case by case: one deterministic regression test for each path on
 * which membership was once lost or left wrong (issue 19, items 1 to 18), through the bundled
 * handler behind the simulated Provider framework and CloudFormation.
 */
import { createHash } from 'crypto';
import { DeploymentFailed, synthesizeStack } from './cloudformation-driver';
import {
  Declared, guardDutySnapshot, guardDutyTemplate, ledgerParameters, memberTemplate, MUTATING, ONE_CALL_PER_INVOCATION, rootEmail, startWorld, World,
  WorldOptions,
} from './harness';
import { GuardDutyMembers, InspectorMembers, InspectorScanType, MacieMembers } from '../../src';
import { decodeAccounts } from '../../src/private/ledger/codec';

jest.setTimeout(120_000);

let world: World;
afterEach(async () => world?.stop());

const ids = (n: number, first = 100000000000) => Array.from({ length: n }, (_, i) => String(first + i));
const gd = () => world.endpoint.model.guardDuty;
const template = (constructs: Record<string, Declared>) => guardDutyTemplate(world.endpoint, constructs);
const mutations = () => world.endpoint.calls.filter((c) => MUTATING.includes(c.operation) && c.outcome === 'ok');
const syncEvent = (stackId: string, logicalId: string) =>
  ({ CdkSecurityMembersSync: { Service: 'GuardDuty', Target: world.endpoint.model.detectorId, StackId: stackId, LogicalId: logicalId } });
/** The accounts a resource's newest claim generation holds. */
function claimed(stackName: string, logicalId: string): string[] {
  const base = `/cdk-security-members/guardduty/${world.endpoint.model.detectorId}/${stackName}/${logicalId}/claim/`;
  const names = ledgerParameters(world.endpoint).filter((n) => n.startsWith(base)).sort();
  if (names.length === 0) return [];
  const value = world.endpoint.ssm.parameters.get(names[names.length - 1])!.value;
  return decodeAccounts((JSON.parse(value.slice(value.indexOf(':') + 2)) as { accounts: string }).accounts);
}

async function start(options: WorldOptions = {}) {
  world = await startWorld(options);
}

/** Organization accounts below a new OU, known to GuardDuty as organization accounts. */
function unit(name: string, accounts: string[]): string {
  const org = world.endpoint.organizations;
  const ou = org.addOrganizationalUnit(name);
  for (const id of accounts) {
    org.addAccount(id, { parentId: ou, email: `root+org-${id}@example.com` });
    world.endpoint.model.organization.add(id);
  }
  return ou;
}

test('the harness builds the properties GuardDutyMembers synthesizes', async () => {
  await start();
  const ou = unit('Workloads', []);
  const synthesized = synthesizeStack((stack) => {
    new GuardDutyMembers(stack, 'A', { detectorId: world.endpoint.model.detectorId, members: [{ accountId: '100000000001', email: rootEmail('100000000001') }], maxRemovals: 3 });
    new GuardDutyMembers(stack, 'B', { detectorId: world.endpoint.model.detectorId, organizationalUnits: [ou], excludeAccounts: ['100000000009'] });
  }).template;
  const built = template({ A: { members: ['100000000001'], maxRemovals: 3 }, B: { organizationalUnits: [ou], excludeAccounts: ['100000000009'] } });
  expect(Object.values(built).map((r) => r.properties)).toEqual(Object.values(synthesized).map((r) => r.properties));
});

test('the harness builds the properties InspectorMembers and MacieMembers synthesize (the randomized sequences deploy them too)', async () => {
  await start();
  const ou = unit('Workloads', []);
  const synthesized = synthesizeStack((stack) => {
    new InspectorMembers(stack, 'A', { accountIds: ['100000000001'], scanTypes: [InspectorScanType.EC2], maxRemovals: 3 });
    new InspectorMembers(stack, 'B', { organizationalUnits: [ou] });
    new MacieMembers(stack, 'C', { members: [{ accountId: '100000000002', email: rootEmail('100000000002') }] });
    new MacieMembers(stack, 'D', { organizationalUnits: [ou], excludeAccounts: ['100000000009'] });
  }).template;
  const built = {
    ...memberTemplate(world.endpoint, 'Inspector', { A: { members: ['100000000001'], scanTypes: ['EC2'], maxRemovals: 3 }, B: { organizationalUnits: [ou] } }),
    ...memberTemplate(world.endpoint, 'Macie', { C: { members: ['100000000002'] }, D: { organizationalUnits: [ou], excludeAccounts: ['100000000009'] } }),
  };
  expect(Object.values(built)).toEqual(Object.values(synthesized));
});

describe('data loss', () => {
  test('1. a cancelled update puts back every member it had removed, with its email, invited again', async () => {
    await start({ remainingMs: ONE_CALL_PER_INVOCATION });
    const all = ids(60);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: all } }));
    const before = guardDutySnapshot(world.endpoint);
    expect(Object.values(before).every((s) => s.startsWith('Invited'))).toBe(true);
    const update = stack.deploy(template({ M: { members: all.slice(0, 10), maxRemovals: 50 } }), { cancelDuring: { logicalId: 'M', afterCalls: 1 } });
    await expect(update).rejects.toThrow(DeploymentFailed);
    // Some were removed before CloudFormation gave up on the update: all came back.
    expect(world.endpoint.count('DisassociateMembers', 'ok')).toBeGreaterThan(0);
    expect(guardDutySnapshot(world.endpoint)).toEqual(before);
    expect(claimed('Members', 'M').sort()).toEqual(all);
    expect(world.cfn.framework.reasons.some((r) => /no longer waits for this update.*must accept again/s.test(r))).toBe(true);
    expect(ledgerParameters(world.endpoint).some((n) => n.endsWith('/lock'))).toBe(false);
  });

  test('2. a sync keeps an account that moved into a sibling construct\'s OU; the sibling\'s sync then holds it', async () => {
    await start();
    const [x, y, z] = ids(3, 200000000000);
    const ou1 = unit('One', [x, y]);
    const ou2 = unit('Two', [z]);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ A: { organizationalUnits: [ou1] }, B: { organizationalUnits: [ou2] } }));
    world.endpoint.organizations.moveAccount(x, ou2);
    const removalsBefore = world.endpoint.count('DeleteMembers');
    expect(await world.cfn.framework.invoke(syncEvent(stack.stackId, 'A'))).toMatchObject({ outcome: 'synced' });
    expect(gd().get(x)?.status).toBe('Enabled');
    expect(claimed('Members', 'A')).toEqual([y]);
    expect(await world.cfn.framework.invoke(syncEvent(stack.stackId, 'B'))).toMatchObject({ outcome: 'synced' });
    expect(claimed('Members', 'B').sort()).toEqual([x, z].sort());
    expect(world.endpoint.count('DeleteMembers')).toBe(removalsBefore);
  });

  test('3. a run whose lock write is slow reads the claims another whole run wrote meanwhile, and keeps the account it adopted', async () => {
    await start();
    const [x, kept] = ids(2, 210000000000);
    const s1 = world.cfn.stack('One');
    const s2 = world.cfn.stack('Two');
    await s1.deploy(template({ A: { members: [x, kept] } }));
    // S1's next lock write is held until S2 has run whole: S2 declares x, S1 drops it.
    let releaseLock!: () => void;
    let held = false;
    world.endpoint.intercept = ({ service, operation, input }) => {
      if (held || service !== 'SSM' || operation !== 'PutParameter' || !String(input.Name).endsWith('/lock')) return undefined;
      held = true;
      return new Promise<void>((resolve) => (releaseLock = resolve));
    };
    const update = s1.deploy(template({ A: { members: [kept] } }));
    while (!held) await new Promise((resolve) => setImmediate(resolve));
    world.endpoint.intercept = undefined;
    await s2.deploy(template({ B: { members: [x] } }));
    releaseLock();
    await update;
    expect(gd().get(x)?.status).toBe('Invited');
    expect(mutations().filter((c) => c.operation !== 'CreateMembers' && c.operation !== 'InviteMembers')).toEqual([]);
  });

  test('4. a continuation does not resolve the OUs again: an OU emptied between invocations removes nothing', async () => {
    await start({ remainingMs: ONE_CALL_PER_INVOCATION });
    const inOu = ids(20, 220000000000);
    const ou = unit('Workloads', inOu);
    const elsewhere = world.endpoint.organizations.addOrganizationalUnit('Elsewhere');
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
    const added = ids(60, 230000000000);
    await stack.deploy(template({ M: { organizationalUnits: [ou], members: added, maxRemovals: 5 } }), {
      afterIsComplete: (_id, calls) => calls === 1 && inOu.forEach((id) => world.endpoint.organizations.moveAccount(id, elsewhere)),
    });
    expect(world.endpoint.count('DisassociateMembers') + world.endpoint.count('DeleteMembers')).toBe(0);
    expect([...inOu, ...added].every((id) => gd().has(id))).toBe(true);
  });

  test('4. every invocation checks the removal guard on what it is about to remove: members put back by hand mid-run are not removed beyond maxRemovals', async () => {
    await start({ remainingMs: ONE_CALL_PER_INVOCATION });
    const all = ids(30, 225000000000);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: all } }));
    const leaving = all.slice(20);
    // Seven of the ten accounts the update drops are gone already: the first invocation sees three to remove.
    const goneByHand = leaving.slice(3);
    const kept = new Map(goneByHand.map((id) => [id, gd().get(id)!]));
    goneByHand.forEach((id) => gd().delete(id));
    const before = guardDutySnapshot(world.endpoint);
    const update = stack.deploy(template({ M: { members: all.slice(0, 20), maxRemovals: 5 } }), {
      // ...and come back by hand after it: its continuation would remove ten.
      afterIsComplete: (_id, calls) => calls === 1 && kept.forEach((member, id) => gd().set(id, { ...member })),
    });
    await expect(update).rejects.toThrow(DeploymentFailed);
    expect(world.cfn.framework.reasons.join()).toMatch(/GuardDuty: this deployment would remove 10 accounts from the detector, more than the 5 that maxRemovals allows/);
    // The rollback then puts back how the detector stood before the update (without the seven).
    expect(guardDutySnapshot(world.endpoint)).toEqual(before);
  });

  test('5. no sync runs while a --no-rollback deployment has left the stack failed; rollback-stack then puts back what it removed', async () => {
    await start();
    const [x, y] = ids(2, 240000000000);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: [x, y] } }));
    const before = guardDutySnapshot(world.endpoint);
    await expect(stack.deploy(template({ M: { members: [y] } }), { anotherResourceFails: true, noRollback: true })).rejects.toThrow(DeploymentFailed);
    expect(stack.status).toBe('UPDATE_FAILED');
    expect(gd().has(x)).toBe(false);
    expect(await world.cfn.framework.invoke(syncEvent(stack.stackId, 'M'))).toEqual({ outcome: 'skipped', reason: 'unsettled' });
    await stack.rollbackStack();
    expect(guardDutySnapshot(world.endpoint)).toEqual({ ...before, [x]: `Invited ${rootEmail(x)}` });
    expect(claimed('Members', 'M').sort()).toEqual([x, y]);
  });
});

describe('wrong results and robustness', () => {
  test('6. a rollback after an email change of a member that had not accepted brings the old email back', async () => {
    await start();
    const x = '250000000000';
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: [{ accountId: x, email: 'old@example.com' }] } }));
    await expect(stack.deploy(template({ M: { members: [{ accountId: x, email: 'new@example.com' }] } }), { anotherResourceFails: true }))
      .rejects.toThrow(DeploymentFailed);
    expect(gd().get(x)).toMatchObject({ email: 'old@example.com', status: 'Invited' });
  });

  test('7. a disassociated account that CreateMembers refuses fails the deployment unless an invitation follows', async () => {
    await start();
    const x = '260000000000';
    gd().set(x, { accountId: x, email: rootEmail(x), status: 'Removed' });
    const stack = world.cfn.stack('Members');
    await expect(stack.deploy(template({ M: { members: [x], invite: false } }))).rejects.toThrow(DeploymentFailed);
    expect(world.cfn.framework.reasons.join()).toMatch(/CreateMembers, 1 account: "The request is rejected because the given account ID is already a member/);
    expect(gd().get(x)?.status).toBe('Removed');
    const again = world.cfn.stack('Again');
    await again.deploy(template({ M: { members: [x] } }));
    expect(gd().get(x)?.status).toBe('Invited');
  });

  test('8. a takeover that died half-way blocks nobody for longer than its slot\'s expiry; nothing of it is left', async () => {
    await start();
    const prefix = `/cdk-security-members/guardduty/${world.endpoint.model.detectorId}`;
    const dead = JSON.stringify({ owner: 'dead-run', expires: Date.now() - 1 });
    world.endpoint.ssm.put({ Name: `${prefix}/lock`, Value: dead, Type: 'String' });
    // A taker created its slot and died before it overwrote the lock; its slot expires in a moment.
    const slot = `${prefix}/lock-takeover/${createHash('sha256').update(dead).digest('hex').slice(0, 32)}-1`;
    world.endpoint.ssm.put({ Name: slot, Value: JSON.stringify({ owner: 'dead-taker', expires: Date.now() + 300 }), Type: 'String' });
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: ['270000000000'] } }));
    expect(gd().has('270000000000')).toBe(true);
    await stack.delete();
    expect(ledgerParameters(world.endpoint)).toEqual([]);
  });

  test('9. a service reason that quotes an email fails the deployment with that reason (the address redacted) and the create undone', async () => {
    await start();
    const [ok, bound] = ids(2, 280000000000);
    world.endpoint.model.boundElsewhere.set(bound, `The account "${rootEmail(bound)}" is associated with a different administrator account.`);
    const stack = world.cfn.stack('Members');
    await expect(stack.deploy(template({ M: { members: [ok, bound] } }))).rejects.toThrow(DeploymentFailed);
    expect(world.cfn.framework.reasons[0]).toMatch(/CreateMembers, 1 account: "The account \\?"<email>\\?" is associated with a different administrator account\."/);
    expect(gd().size).toBe(0);
    const lenient = world.cfn.stack('Lenient');
    await lenient.deploy(template({ M: { members: [ok, bound], failOnUnprocessed: false } }));
    expect(gd().has(ok)).toBe(true);
  });

  test('12. failed syncs leave no generation behind: the ledger keeps its size', async () => {
    await start();
    const member = '290000000000';
    const ou = unit('Workloads', [member]);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
    const size = ledgerParameters(world.endpoint).length;
    const joiner = '290000000001';
    world.endpoint.organizations.addAccount(joiner, { parentId: ou });
    world.endpoint.model.boundElsewhere.set(joiner, 'The account is associated with a different administrator account.');
    const sync = async (outcome: string) => expect(await world.cfn.framework.invoke(syncEvent(stack.stackId, 'M'))).toMatchObject({ outcome });
    await sync('failed');
    const afterOneFailure = ledgerParameters(world.endpoint).length;
    for (let i = 0; i < 9; i++) await sync('failed');
    expect(ledgerParameters(world.endpoint).length).toBe(afterOneFailure);
    world.endpoint.model.boundElsewhere.delete(joiner);
    for (let i = 0; i < 3; i++) await sync('synced');
    // A claim generation, its declaration, the journal and its state, the census: as after the deployment.
    expect(ledgerParameters(world.endpoint).length).toBeLessThanOrEqual(size);
    // While a failed sync is unfinished, the claim generation before it (and its declaration) stay for the next run.
    expect(afterOneFailure).toBeLessThanOrEqual(size + 2);
  });

  test('14. a rollback that re-invites a member it had removed says it must accept again', async () => {
    await start();
    const [x, y] = ids(2, 300000000000);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: [x, y] } }));
    await expect(stack.deploy(template({ M: { members: [y] } }), { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
    expect(gd().get(x)?.status).toBe('Invited');
    expect(world.logs.some((line) => line.includes('must accept the invitation again') && line.includes(x))).toBe(true);
  });

  test('15. after the last stack on the detector is deleted, no parameter of the library is left', async () => {
    await start();
    const one = world.cfn.stack('One');
    const two = world.cfn.stack('Two');
    await one.deploy(template({ A: { members: ['310000000000', '310000000001'] } }));
    await two.deploy(template({ B: { members: ['310000000001'] } }));
    await one.delete();
    expect(ledgerParameters(world.endpoint).some((n) => n.endsWith('/census'))).toBe(true);
    await two.delete();
    expect(ledgerParameters(world.endpoint)).toEqual([]);
    expect(gd().size).toBe(0);
  });

  test('16. a resource deployed by a version without the ledger (no claim) deleted with DESTROY removes its members', async () => {
    await start();
    const [x, y] = ids(2, 320000000000);
    [x, y].forEach((id) => gd().set(id, { accountId: id, email: rootEmail(id), status: 'Invited' }));
    gd().set('320000000009', { accountId: '320000000009', email: rootEmail('320000000009'), status: 'Enabled' });
    const stack = world.cfn.stack('Members');
    const legacy = { Service: 'GuardDuty', DetectorId: world.endpoint.model.detectorId, Members: [x, y].map((id) => `${id}:${rootEmail(id)}`) };
    stack.resources.set('M', { type: 'Custom::GuardDutyMembers', properties: legacy, physicalId: world.endpoint.model.detectorId });
    await stack.delete();
    expect([...gd().keys()]).toEqual(['320000000009']);
  });

  test('17. a construct dropped from an app that goes on is under the removal guard: its members and claim stay until released', async () => {
    await start();
    const twenty = ids(20, 330000000000);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: twenty }, Other: { members: ['339999999999'] } }));
    await stack.deploy(template({ Other: { members: ['339999999999'] } }));
    expect(stack.status).toBe('UPDATE_COMPLETE');
    expect(stack.skippedDeletes).toEqual(['M']);
    expect(twenty.every((id) => gd().has(id))).toBe(true);
    expect(claimed('Members', 'M')).toHaveLength(20);
    expect(world.cfn.framework.reasons.join()).toMatch(/removal of the resource would remove 20 accounts.*add the construct back under the same ID with maxRemovals/s);
    // The release: the construct back under its ID with nothing declared and maxRemovals.
    await stack.deploy(template({ M: { members: [], maxRemovals: 20 }, Other: { members: ['339999999999'] } }));
    expect(twenty.some((id) => gd().has(id))).toBe(false);
    await stack.delete();
    expect(ledgerParameters(world.endpoint)).toEqual([]);
  });

  test('17. deleting the stack itself removes without the guard', async () => {
    await start();
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: ids(20, 340000000000) } }));
    await stack.delete();
    expect(gd().size).toBe(0);
  });

  test('18. a rollback whose restore spans invocations invites every member it recreates again', async () => {
    await start({ remainingMs: ONE_CALL_PER_INVOCATION });
    const all = ids(120, 350000000000);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template({ M: { members: all } }));
    const before = guardDutySnapshot(world.endpoint);
    await expect(stack.deploy(template({ M: { members: [], maxRemovals: 120 } }), { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
    expect(guardDutySnapshot(world.endpoint)).toEqual(before);
    expect(Object.values(guardDutySnapshot(world.endpoint)).filter((s) => s.startsWith('Invited'))).toHaveLength(120);
  });
});
