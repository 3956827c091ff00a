/**
 * Inspector and Macie lifecycles against the local endpoint, through the bundled handler: the
 * two services whose member operations take one account per call (Inspector's association
 * asynchronous). Create, update, delete; a failed create undone; a rollback caused by another
 * resource; a refused account failing with its reason; 300 accounts under throttling; OU sources
 * with a sync.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { DeploymentFailed, synthesizeStack, Template } from './cloudformation-driver';
import { ledgerParameters, ONE_CALL_PER_INVOCATION, rootEmail, startWorld, World, WorldOptions } from './harness';
import { InspectorMembers, InspectorScanType, MacieMembers } from '../../src';

jest.setTimeout(180_000);

let world: World;
afterEach(async () => world?.stop());

const ids = (n: number, first = 100000000000) => Array.from({ length: n }, (_, i) => String(first + i));
const HAND_ADDED = '999999999990';

interface OneAccountCase {
  readonly name: 'Inspector' | 'Macie';
  /** The association or creation call: exactly one successful call per account. */
  readonly createOperation: string;
  /** A construct declaring `accounts` (organization accounts unless `invited`), with extra props. */
  add(stack: Stack, id: string, accounts: readonly string[], extra?: object): void;
  /** Accounts of the organization: the endpoint's service knows them. */
  organize(accounts: readonly string[]): void;
  /** Members still associated (Inspector keeps REMOVED records), with statuses. */
  active(): Record<string, string>;
  /** A member no declaration holds. */
  handAdd(accountId: string): void;
  /** Makes the account's association (or invitation) end refused; answers the reason as the failure names it: operation, reason, account. */
  refuse(accountId: string): RegExp;
}

const INSPECTOR: OneAccountCase = {
  name: 'Inspector',
  createOperation: 'AssociateMember',
  add: (stack, id, accounts, extra = {}) => new InspectorMembers(stack, id, { accountIds: [...accounts], ...extra }),
  organize: (accounts) => accounts.forEach((id) => world.endpoint.inspector.organization.add(id)),
  active: () => Object.fromEntries(Object.entries(world.endpoint.inspector.state()).filter(([, s]) => s !== 'REMOVED')),
  handAdd: (accountId) => {
    world.endpoint.inspector.organization.add(accountId);
    world.endpoint.inspector.members.set(accountId, { accountId, status: 'ENABLED', updatedAt: 0 });
  },
  refuse: (accountId) => {
    world.endpoint.inspector.endsIn.set(accountId, 'REGION_DISABLED');
    return new RegExp(`AssociateMember, 1 account: "the association ended in REGION_DISABLED: [^"]+" \\(${accountId}\\)`);
  },
};

const MACIE: OneAccountCase = {
  name: 'Macie',
  createOperation: 'CreateMember',
  add: (stack, id, accounts, extra = {}) => new MacieMembers(stack, id, {
    members: accounts.map((accountId) => ({ accountId, email: rootEmail(accountId) })), ...extra,
  }),
  organize: (accounts) => accounts.forEach((id) => world.endpoint.macie.organization.add(id)),
  active: () => Object.fromEntries(Object.entries(world.endpoint.macie.state()).filter(([, s]) => s !== 'Removed')),
  handAdd: (accountId) => {
    world.endpoint.macie.members.set(accountId, { accountId, email: 'hand@example.com', status: 'Enabled', tags: {}, updatedAt: new Date().toISOString() });
  },
  refuse: (accountId) => {
    // An account outside the organization is invited, and an invitation goes out only to the
    // account's root email: this one is declared with another.
    world.endpoint.macie.organization.delete(accountId);
    world.endpoint.macie.rootEmails.set(accountId, 'someone-else@example.com');
    return new RegExp(`CreateInvitations, 1 account: "email verification failed \\(EmailVerificationFailed\\)[^"]*" \\(${accountId}\\)`);
  },
};

async function start(options: WorldOptions = {}) {
  world = await startWorld(options);
}

function template(service: OneAccountCase, accounts: readonly string[], extra: object = {}): Template {
  return synthesizeStack((stack) => service.add(stack, 'Members', accounts, extra)).template;
}

/** Successful association or creation calls per account. */
function successfulCreates(service: OneAccountCase): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of world.endpoint.calls.filter((c) => c.operation === service.createOperation && c.outcome === 'ok')) {
    for (const id of call.accountIds ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe.each([INSPECTOR, MACIE])('$name', (service) => {
  test('create -> update (add and remove) -> delete; a hand-added member is never touched', async () => {
    await start();
    const [a, b, c, d] = ids(4);
    service.organize([a, b, c, d]);
    service.handAdd(HAND_ADDED);
    const stack = world.cfn.stack('Members');

    await stack.deploy(template(service, [a, b, c]));
    const enabled = service.name === 'Inspector' ? 'ENABLED' : 'Enabled';
    expect(service.active()).toEqual({ [a]: enabled, [b]: enabled, [c]: enabled, [HAND_ADDED]: enabled });
    expect([...stack.resources.values()][0].physicalId).toBe(`${service.name === 'Inspector' ? 'inspector2' : 'macie2'}:us-east-1`);

    await stack.deploy(template(service, [a, d]));
    expect(service.active()).toEqual({ [a]: enabled, [d]: enabled, [HAND_ADDED]: enabled });

    await stack.delete();
    expect(service.active()).toEqual({ [HAND_ADDED]: enabled });
    expect(ledgerParameters(world.endpoint)).toEqual([]);
    // Every account got one successful association or creation call per time it joined.
    expect([...successfulCreates(service).values()].every((n) => n === 1)).toBe(true);
  });

  test('a failed create is undone: the accounts it added go, the deployment fails naming the account, the operation and the reason', async () => {
    await start();
    const [a, b, refused] = ids(3);
    service.organize([a, b, refused]);
    const reason = service.refuse(refused);
    const stack = world.cfn.stack('Members');
    const failure = await stack.deploy(template(service, [a, b, refused])).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DeploymentFailed);
    expect((failure as DeploymentFailed).message).toMatch(reason);
    expect(service.active()).toEqual({});
    expect(ledgerParameters(world.endpoint)).toEqual([]);
  });

  test('a rollback caused by another resource leaves membership exactly as before', async () => {
    await start();
    const [kept, removed, created] = ids(3);
    service.organize([kept, removed, created]);
    service.handAdd(HAND_ADDED);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template(service, [kept, removed]));
    const before = service.active();

    await expect(stack.deploy(template(service, [kept, created]), { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
    expect(service.active()).toEqual(before);
    await stack.delete();
    expect(service.active()).toEqual({ [HAND_ADDED]: before[HAND_ADDED] });
  });

  test('the same rollback when every invocation makes one call: the run spans invocations, awaiting what it started', async () => {
    await start({ remainingMs: ONE_CALL_PER_INVOCATION });
    const list = ids(6);
    service.organize(list);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template(service, list.slice(0, 3)));
    const before = service.active();
    await expect(stack.deploy(template(service, list.slice(2)), { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
    expect(service.active()).toEqual(before);
    await stack.deploy(template(service, list.slice(2)));
    expect(Object.keys(service.active())).toEqual(list.slice(2));
  });

  test('300 accounts under throttling: no throttling failure, and each account gets exactly one successful call', async () => {
    await start({ faults: { throttleRate: 0.1 } });
    const list = ids(300);
    service.organize(list);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template(service, list));
    expect(Object.keys(service.active())).toEqual(list);
    const counts = successfulCreates(service);
    expect(list.filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect(world.endpoint.calls.some((c) => c.outcome === 'throttled')).toBe(true);
  });

  test('organizational units with a sync: an account that joins the OU joins the members, one that leaves is removed', async () => {
    await start();
    const org = world.endpoint.organizations;
    const ou = org.addOrganizationalUnit('Workloads');
    const [first, second, joiner] = ids(3, 200000000001);
    for (const id of [first, second, joiner]) org.addAccount(id, { parentId: id === joiner ? org.rootId : ou, email: rootEmail(id) });
    service.organize([first, second, joiner]);
    const stack = world.cfn.stack('Members');
    const { template: declared, syncs } = synthesizeStack((s) => service.add(s, 'Members', [], {
      organizationalUnits: [ou], syncSchedule: events.Schedule.rate(Duration.hours(6)),
    }));
    await stack.deploy(declared);
    expect(Object.keys(service.active())).toEqual([first, second]);

    org.moveAccount(joiner, ou);
    org.moveAccount(second, org.rootId);
    const result = await stack.sync(Object.values(syncs)[0]);
    expect(result).toMatchObject({ outcome: 'synced' });
    expect(Object.keys(service.active())).toEqual([first, joiner]);
    await stack.delete();
    expect(service.active()).toEqual({});
  });
});

describe('Inspector', () => {
  /** Two organization accounts deployed one call per invocation, then disassociations that take many reads to go through. */
  async function twoMembersSlowToLeave() {
    await start({ remainingMs: ONE_CALL_PER_INVOCATION });
    const [kept, removed] = ids(2);
    INSPECTOR.organize([kept, removed]);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template(INSPECTOR, [kept, removed]));
    const before = INSPECTOR.active();
    // Reads keep showing ENABLED meanwhile.
    world.endpoint.inspector.settleAfter = { reads: 6 };
    return { stack, kept, removed, before };
  }

  test('a disassociation under way at the end of an invocation is awaited by the next one, never sent again', async () => {
    const { stack, kept } = await twoMembersSlowToLeave();
    await stack.deploy(template(INSPECTOR, [kept]));
    expect(world.endpoint.count('DisassociateMember', 'ok')).toBe(1);
    expect(INSPECTOR.active()).toEqual({ [kept]: 'ENABLED' });
  });

  test('an update cancelled while a disassociation is under way: the rollback awaits it and associates the account again', async () => {
    const { stack, kept, removed, before } = await twoMembersSlowToLeave();
    const next = template(INSPECTOR, [kept]);
    const logicalId = Object.keys(next).find((id) => next[id].type === 'Custom::InspectorMembers')!;
    const update = stack.deploy(next, { cancelDuring: { logicalId, afterCalls: 1 } });
    await expect(update).rejects.toThrow(DeploymentFailed);
    expect(world.endpoint.count('DisassociateMember', 'ok')).toBeGreaterThan(0);
    // Whatever was still under way goes through: the account stays associated.
    for (let i = 0; i < 10; i++) world.endpoint.inspector.list(false);
    expect(INSPECTOR.active()).toEqual(before);
    expect(world.endpoint.inspector.state()[removed]).toBe('ENABLED');
  });

  test('an account outside the organization fails with the service\'s reason; scan types are enabled and read back', async () => {
    await start();
    const [a, b, outsider] = ids(3);
    INSPECTOR.organize([a, b]);
    const stack = world.cfn.stack('Members');
    const scanTypes = [InspectorScanType.EC2, InspectorScanType.LAMBDA];
    await stack.deploy(template(INSPECTOR, [a, b], { scanTypes }));
    expect([...world.endpoint.inspector.scanTypes.get(a)!].sort()).toEqual(['EC2', 'LAMBDA']);
    expect(world.endpoint.count('Enable', 'ok')).toBe(1);
    expect(world.endpoint.count('BatchGetAccountStatus', 'ok')).toBe(2);

    const failure = await stack.deploy(template(INSPECTOR, [a, b, outsider], { scanTypes })).catch((err: unknown) => err);
    expect((failure as Error).message).toMatch(new RegExp(`AssociateMember, 1 account: "AccessDeniedException: [^"]+" \\(${outsider}\\)`));
    expect(INSPECTOR.active()).toEqual({ [a]: 'ENABLED', [b]: 'ENABLED' });
  });

  test('Enable\'s failedAccounts fail the deployment naming the account, the scan type and the reason', async () => {
    await start();
    const [a, b] = ids(2);
    INSPECTOR.organize([a, b]);
    world.endpoint.inspector.enableFailures.set(b, { errorCode: 'SSM_THROTTLED', errorMessage: 'Scanning could not be enabled' });
    const stack = world.cfn.stack('Members');
    const failure = await stack.deploy(template(INSPECTOR, [a, b], { scanTypes: [InspectorScanType.ECR] })).catch((err: unknown) => err);
    expect((failure as Error).message).toMatch(new RegExp(`Enable, 1 account: "scan type ECR: SSM_THROTTLED: Scanning could not be enabled" \\(${b}\\)`));
  });
});

describe('Macie', () => {
  test('accounts outside the organization are created, then invited 50 a call with the message; organization accounts never', async () => {
    await start();
    const invited = ids(60);
    const [orgAccount] = ids(1, 200000000001);
    MACIE.organize([orgAccount]);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template(MACIE, [...invited, orgAccount], { invitationMessage: 'Join Macie' }));
    expect(MACIE.active()).toEqual({ ...Object.fromEntries(invited.map((id) => [id, 'Invited'])), [orgAccount]: 'Enabled' });
    expect(world.endpoint.calls.filter((c) => c.operation === 'CreateInvitations' && c.outcome === 'ok').map((c) => c.accounts)).toEqual([50, 10]);
    expect(world.endpoint.macie.invitations.every((i) => i.message === 'Join Macie' && i.accountId !== orgAccount)).toBe(true);
  });

  test('a burst of 200 CreateMember calls against Macie\'s burst limit ends without throttling failures', async () => {
    await start();
    world.endpoint.macie.createMemberLimit = { perSecond: 40, burst: 10 };
    const list = ids(200);
    MACIE.organize(list);
    const stack = world.cfn.stack('Members');
    await stack.deploy(template(MACIE, list));
    expect(Object.keys(MACIE.active())).toEqual(list);
    expect(world.endpoint.calls.filter((c) => c.operation === 'CreateMember').some((c) => c.outcome !== 'ok')).toBe(true);
    expect([...successfulCreates(MACIE).values()].every((n) => n === 1)).toBe(true);
    // At most 16 calls in flight.
    expect(world.endpoint.peakConcurrency).toBeLessThanOrEqual(16);
  });
});
