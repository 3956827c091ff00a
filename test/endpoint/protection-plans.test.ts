/**
 * GuardDuty protection plans through the bundled handler against the local endpoint: applied to
 * associated members with the fewest calls, pending for invited members until they accept,
 * drift corrected by a sync, two constructs with their own plans, conflicts across stacks before
 * any change, refusals with account, plan and reason, and rollbacks that put the plans back.
 */
import { DeploymentFailed } from './cloudformation-driver';
import { Declared, guardDutyTemplate, ledgerParameters, ONE_CALL_PER_INVOCATION, startWorld, World } from './harness';

jest.setTimeout(120_000);

let world: World;
afterEach(async () => world?.stop());

const ids = (n: number, first: number) => Array.from({ length: n }, (_, i) => String(first + i));
const template = (constructs: Record<string, Declared>) => guardDutyTemplate(world.endpoint, constructs);
const calls = (operation: string) => world.endpoint.calls.filter((c) => c.operation === operation && c.outcome === 'ok');
const features = (id: string) => world.endpoint.model.features(id);
const status = (id: string, feature: string) => features(id)[feature]?.status;
const syncEvent = (stackId: string, logicalId: string) =>
  ({ CdkSecurityMembersSync: { Service: 'GuardDuty', Target: world.endpoint.model.detectorId, StackId: stackId, LogicalId: logicalId } });

/** Organization accounts below a new OU (GuardDuty enables them at once). */
function unit(name: string, accounts: string[]): string {
  const org = world.endpoint.organizations;
  const ou = org.addOrganizationalUnit(name);
  for (const id of accounts) {
    org.addAccount(id, { parentId: ou });
    world.endpoint.model.organization.add(id);
  }
  return ou;
}

beforeEach(async () => {
  world = await startWorld();
});

test('a create from an OU of organization accounts applies the plans: ceil(N/50) reads, one write per distinct change, every account read back', async () => {
  const accounts = ids(120, 500000000000);
  const ou = unit('Production', accounts);
  // Organization auto-enable leaves S3 on and EKS audit logs on: the declaration turns EKS off and malware on.
  const stack = world.cfn.stack('Members');
  const plans = { s3DataEvents: true, eksAuditLogs: false, ebsMalwareProtection: true };
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: plans } }));
  for (const id of accounts) {
    expect([status(id, 'S3_DATA_EVENTS'), status(id, 'EKS_AUDIT_LOGS'), status(id, 'EBS_MALWARE_PROTECTION')]).toEqual(['ENABLED', 'DISABLED', 'ENABLED']);
  }
  // One read per 50 declared members, one write per 50 accounts needing the same change, and the read-back.
  expect(calls('UpdateMemberDetectors')).toHaveLength(3);
  expect(calls('UpdateMemberDetectors').every((c) => c.accounts <= 50)).toBe(true);
  expect(calls('GetMemberDetectors')).toHaveLength(3 + 3);
  expect(world.cfn.framework.reasons).toEqual([]);
  // Nothing changes on a second deployment of the same plans: reads only.
  const writes = calls('UpdateMemberDetectors').length;
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: plans, maxRemovals: 0 } }));
  expect(calls('UpdateMemberDetectors')).toHaveLength(writes);
});

test('accounts that need different changes share no call; Runtime Monitoring\'s agents travel with their feature', async () => {
  const accounts = ids(4, 510000000000);
  const ou = unit('Mixed', accounts);
  world.endpoint.model.defaultFeatures.RUNTIME_MONITORING = { status: 'ENABLED', additionalConfiguration: { EKS_ADDON_MANAGEMENT: 'DISABLED' } };
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
  // Drift on two of them: they need a different change from the others.
  world.endpoint.model.setFeatures(accounts[0], { S3_DATA_EVENTS: { status: 'DISABLED' } });
  world.endpoint.model.setFeatures(accounts[1], { S3_DATA_EVENTS: { status: 'DISABLED' } });
  const plans = { s3DataEvents: true, runtimeMonitoring: true, eksAddonManagement: true };
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: plans } }));
  expect(calls('UpdateMemberDetectors')).toHaveLength(2);
  for (const id of accounts) {
    expect(features(id).RUNTIME_MONITORING).toEqual({ status: 'ENABLED', additionalConfiguration: { EKS_ADDON_MANAGEMENT: 'ENABLED' } });
    expect(status(id, 'S3_DATA_EVENTS')).toBe('ENABLED');
  }
});

test('invited members are pending until they accept; a sync then applies their plans', async () => {
  const invited = ids(3, 520000000000);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { members: invited, protectionPlans: { s3DataEvents: false } } }));
  expect(invited.map((id) => world.endpoint.model.guardDuty.get(id)!.status)).toEqual(['Invited', 'Invited', 'Invited']);
  expect(calls('GetMemberDetectors')).toHaveLength(0);
  expect(world.logs.some((l) => l.includes('protection plans pending') && l.includes(invited[0]))).toBe(true);
  // They accept.
  invited.forEach((id) => (world.endpoint.model.guardDuty.get(id)!.status = 'Enabled'));
  expect(await world.cfn.framework.invoke(syncEvent(stack.stackId, 'M'))).toMatchObject({ outcome: 'synced', summary: expect.objectContaining({ PlansChanged: 3, PlansPending: 0 }) });
  expect(invited.map((id) => status(id, 'S3_DATA_EVENTS'))).toEqual(['DISABLED', 'DISABLED', 'DISABLED']);
});

test('drift is corrected by a sync; a plan left out is never changed', async () => {
  const accounts = ids(2, 530000000000);
  const ou = unit('Workloads', accounts);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: { rdsLoginEvents: true } } }));
  world.endpoint.model.setFeatures(accounts[0], { RDS_LOGIN_EVENTS: { status: 'DISABLED' }, LAMBDA_NETWORK_LOGS: { status: 'DISABLED' } });
  expect(await world.cfn.framework.invoke(syncEvent(stack.stackId, 'M'))).toMatchObject({ outcome: 'synced', summary: expect.objectContaining({ PlansChanged: 1 }) });
  expect(status(accounts[0], 'RDS_LOGIN_EVENTS')).toBe('ENABLED');
  expect(status(accounts[0], 'LAMBDA_NETWORK_LOGS')).toBe('DISABLED');
});

test('two constructs (two OUs) with different plans on one detector: each applies its own', async () => {
  const production = ids(2, 540000000000);
  const sandbox = ids(2, 541000000000);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({
    Production: { organizationalUnits: [unit('Production', production)], protectionPlans: { s3DataEvents: true, ebsMalwareProtection: true, rdsLoginEvents: true } },
    Sandbox: { organizationalUnits: [unit('Sandbox', sandbox)], protectionPlans: { s3DataEvents: true, ebsMalwareProtection: true, rdsLoginEvents: false } },
  }));
  expect(production.map((id) => status(id, 'RDS_LOGIN_EVENTS'))).toEqual(['ENABLED', 'ENABLED']);
  expect(sandbox.map((id) => status(id, 'RDS_LOGIN_EVENTS'))).toEqual(['DISABLED', 'DISABLED']);
});

test('a conflict across two stacks fails the second before any change, naming the other stack, the account and the plan', async () => {
  const shared = '550000000000';
  unit('Shared', [shared]);
  await world.cfn.stack('One').deploy(template({ A: { members: [shared], protectionPlans: { s3DataEvents: true } } }));
  const before = features(shared);
  const callsBefore = world.endpoint.calls.length;
  await expect(world.cfn.stack('Two').deploy(template({ B: { members: [shared], protectionPlans: { s3DataEvents: false } } })))
    .rejects.toThrow(DeploymentFailed);
  expect(world.cfn.framework.reasons[0]).toMatch(/S3_DATA_EVENTS of account 550000000000 is declared DISABLED here and ENABLED by One\/A.*Nothing was changed/);
  expect(features(shared)).toEqual(before);
  expect(world.endpoint.calls.slice(callsBefore).filter((c) => ['CreateMembers', 'UpdateMemberDetectors', 'DeleteMembers'].includes(c.operation))).toEqual([]);
});

test('a refusal (a plan an Organizations policy manages) fails the deployment naming the account, the plan and the reason', async () => {
  const [managed, free] = ids(2, 560000000000);
  const ou = unit('Policy', [managed, free]);
  world.endpoint.model.policyManaged.set(managed, ['S3_DATA_EVENTS']);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
  const conflicting = template({ M: { organizationalUnits: [ou], protectionPlans: { s3DataEvents: false } } });
  await expect(stack.deploy(conflicting)).rejects.toThrow(DeploymentFailed);
  expect(world.cfn.framework.reasons[0]).toMatch(
    /the protection plans of 1 account could not be set as declared\. UpdateMemberDetectors, 1 account: "protection plan S3_DATA_EVENTS: .*managed by an AWS Organizations GuardDuty policy.*" \(560000000000\)/);
  // The rollback put the free account's plan back.
  expect(status(free, 'S3_DATA_EVENTS')).toBe('ENABLED');
});

test('organization accounts answering "not an associated member" right after CreateMembers are tried again, then set', async () => {
  const accounts = ids(2, 570000000000);
  const ou = unit('Rollout', accounts);
  world.endpoint.model.associationDelayCalls = 1;
  await world.cfn.stack('Members').deploy(template({ M: { organizationalUnits: [ou], protectionPlans: { lambdaNetworkLogs: false } } }));
  expect(accounts.map((id) => status(id, 'LAMBDA_NETWORK_LOGS'))).toEqual(['DISABLED', 'DISABLED']);
  expect(world.logs.some((l) => l.includes('not associated yet, trying again'))).toBe(true);
});

test('a rollback caused by another resource puts back the plans it changed, of existing members and of those it created', async () => {
  const existing = ids(2, 580000000000);
  const joining = ids(2, 581000000000);
  const ou = unit('Workloads', existing);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
  const before = Object.fromEntries(existing.map((id) => [id, features(id)]));
  for (const id of joining) {
    world.endpoint.organizations.addAccount(id, { parentId: ou });
    world.endpoint.model.organization.add(id);
  }
  await expect(stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: { s3DataEvents: false, ebsMalwareProtection: false } } }),
    { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
  expect(Object.fromEntries(existing.map((id) => [id, features(id)]))).toEqual(before);
  expect(joining.some((id) => world.endpoint.model.guardDuty.has(id))).toBe(false);
  // The joining accounts' plans were put back before they were removed.
  const naming = (operation: string) => world.endpoint.calls.map((c, i) => ({ c, i }))
    .filter(({ c }) => c.operation === operation && c.outcome === 'ok' && joining.some((id) => c.accountIds?.includes(id))).map(({ i }) => i);
  const planWrites = naming('UpdateMemberDetectors');
  expect(planWrites).toHaveLength(2);
  expect(planWrites[1]).toBeLessThan(Math.min(...naming('DeleteMembers')));
  expect(ledgerParameters(world.endpoint).some((n) => n.includes('/journal-settings/'))).toBe(true);
});

test('a detector that refuses a whole call for one account: the call is split until the refusal has its account; the rest is set', async () => {
  const accounts = ids(6, 590000000000);
  const ou = unit('Whole', accounts);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
  world.endpoint.model.refusesWholeCall = true;
  // One account just joined and is not associated yet; another has S3 Protection under an Organizations policy.
  world.endpoint.model.rollout.set(accounts[1], 1);
  world.endpoint.model.policyManaged.set(accounts[4], ['S3_DATA_EVENTS']);
  const plansOff = template({ M: { organizationalUnits: [ou], protectionPlans: { s3DataEvents: false } } });
  await expect(stack.deploy(plansOff)).rejects.toThrow(DeploymentFailed);
  expect(world.cfn.framework.reasons[0]).toMatch(/UpdateMemberDetectors, 1 account: "protection plan S3_DATA_EVENTS: BadRequestException: .*GUARDDUTY_POLICY.*" \(590000000004\)/);
  // The rollback put every other account's plan back.
  expect(accounts.map((id) => status(id, 'S3_DATA_EVENTS'))).toEqual(accounts.map(() => 'ENABLED'));

  world.endpoint.model.policyManaged.clear();
  world.endpoint.model.rollout.set(accounts[2], 1);
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: { s3DataEvents: false } } }));
  expect(accounts.map((id) => status(id, 'S3_DATA_EVENTS'))).toEqual(accounts.map(() => 'DISABLED'));
});

test('an update that removes members journals their plans first, so its rollback brings them back with them', async () => {
  const accounts = ids(3, 600000000000);
  const ou = unit('Leaving', accounts);
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: { s3DataEvents: false, rdsLoginEvents: false } } }));
  const before = Object.fromEntries(accounts.map((id) => [id, features(id)]));
  const reads = calls('GetMemberDetectors').length;
  // The members leave (an empty declaration, within maxRemovals), and another resource fails.
  await expect(stack.deploy(template({ M: { members: [], maxRemovals: 3 } }), { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
  // One read of the three before the removal; the rollback created them again (organization defaults) and put their plans back.
  expect(calls('GetMemberDetectors').length - reads).toBeGreaterThanOrEqual(1);
  expect(Object.fromEntries(accounts.map((id) => [id, features(id)]))).toEqual(before);
});

test('a handler whose role has no plan rights (no construct of its stack declares plans) reads no plans before removing', async () => {
  const accounts = ids(2, 610000000000);
  const ou = unit('NoRights', accounts);
  const stack = world.cfn.stack('Members');
  delete process.env.CDK_SECURITY_MEMBERS_SETTINGS;
  await stack.deploy(template({ M: { organizationalUnits: [ou] } }));
  await stack.deploy(template({ M: { members: [] } }));
  expect(accounts.some((id) => world.endpoint.model.guardDuty.has(id))).toBe(false);
  expect(world.endpoint.calls.filter((c) => c.operation.endsWith('MemberDetectors'))).toEqual([]);
});

test('a sync out of time answers unfinished; the next syncs continue from its journal until the plans hold', async () => {
  await world.stop();
  world = await startWorld({ remainingMs: ONE_CALL_PER_INVOCATION });
  const accounts = ids(3, 535000000000);
  const ou = unit('Workloads', accounts.slice(0, 2));
  const stack = world.cfn.stack('Members');
  await stack.deploy(template({ M: { organizationalUnits: [ou], protectionPlans: { s3DataEvents: false } } }));
  // An account joins the OU, and another leaves it: a sync has work for more than one call.
  world.endpoint.organizations.addAccount(accounts[2], { parentId: ou });
  world.endpoint.model.organization.add(accounts[2]);
  world.endpoint.organizations.moveAccount(accounts[0], world.endpoint.organizations.addOrganizationalUnit('Elsewhere'));
  const outcomes: string[] = [];
  for (let i = 0; i < 10 && outcomes[outcomes.length - 1] !== 'synced'; i++) {
    outcomes.push(((await world.cfn.framework.invoke(syncEvent(stack.stackId, 'M'))) as { outcome: string }).outcome);
  }
  expect(outcomes[0]).toBe('unfinished');
  expect(outcomes[outcomes.length - 1]).toBe('synced');
  expect(world.endpoint.model.guardDuty.has(accounts[0])).toBe(false);
  expect(status(accounts[2], 'S3_DATA_EVENTS')).toBe('DISABLED');
  expect(world.logs.some((l) => l.includes('sync out of time: the next sync continues'))).toBe(true);
});
