/**
 * CloudFormation lifecycles against the local endpoint, through the bundled handler in assets/
 * (as it will be deployed) with the real AWS SDK clients it carries, behind the Provider
 * framework's onEvent / isComplete protocol (cloudformation-driver.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { syntheticAccounts } from './accounts';
import { CloudFormationSimulator, DeploymentFailed, Handler, synthesizeStack, synthesizeTemplate, Template } from './cloudformation-driver';
import { Endpoint, Faults, startEndpoint } from './member-endpoint';
import { synthesizeMembers } from './synthesized';
import { DetectiveGraphMembers, GuardDutyMembers, MemberAccount, SecurityHubMembers } from '../../src';
import { latestRecord } from '../../src/private/ledger/store';
import { TIME_RESERVE_MS } from '../../src/private/reconcile.lambda';
import { actionsCalledByHandler } from '../private/handler-actions';

jest.setTimeout(60_000);

const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'private', 'reconcile.lambda', 'index.js');
const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;
const MUTATING = ['CreateMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers'];

let endpoint: Endpoint;
let cfn: CloudFormationSimulator;
let logLines: string[];
const savedEnv = { ...process.env };

async function setup(options: { seed?: number; faults?: Faults; remainingMs?: number } = {}) {
  endpoint = await startEndpoint(options);
  process.env.AWS_ENDPOINT_URL = endpoint.url;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  let handler!: Handler;
  // A fresh module per test, as a cold Lambda loads it.
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is loaded as Lambda loads it
    handler = require(BUNDLE).handler;
  });
  cfn = new CloudFormationSimulator(endpoint, handler, { remainingMs: options.remainingMs, functionName: 'Members-SecurityMembers-0123abcd' });
}

beforeAll(() => {
  if (!fs.existsSync(BUNDLE)) {
    throw new Error(`${BUNDLE} is missing: run 'npx projen bundle' (the test task does)`);
  }
});

beforeEach(() => {
  logLines = [];
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});

/** Every operation the handler sent in any scenario, as an IAM action. */
const actionsSeen = new Set<string>();

afterAll(() => {
  // The static derivation behind the least-privilege test covers what the handler really calls.
  expect([...actionsSeen].filter((action) => !actionsCalledByHandler().has(action))).toEqual([]);
  expect(actionsSeen.size).toBeGreaterThanOrEqual(14);
});

afterEach(async () => {
  jest.restoreAllMocks();
  endpoint?.calls.forEach((c) => c.service && actionsSeen.add(`${c.service.toLowerCase()}:${c.operation}`));
  process.env = { ...savedEnv };
  // No log line of any scenario may carry an email address, and no String parameter either.
  for (const line of logLines) {
    expect(line).not.toMatch(EMAIL);
  }
  for (const p of endpoint?.ssm.parameters.values() ?? []) {
    if (p.type === 'String') {
      expect(p.value).not.toMatch(EMAIL);
    }
  }
  for (const base of recordBases()) {
    const record = latestRecord(stringParameters(), base);
    if (record) expect(JSON.stringify(record.value)).not.toMatch(EMAIL);
  }
  await endpoint?.stop();
});

function stringParameters(): Map<string, string> {
  return new Map([...endpoint.ssm.parameters.values()].filter((p) => p.type === 'String').map((p) => [p.name, p.value]));
}

/** Every record (claim, in-flight) of the ledger, compressed or not. */
function recordBases(): string[] {
  return [...new Set([...stringParameters().keys()].map((name) => /^(.*)\/g[0-9a-z]+\/\d+$/.exec(name)?.[1]).filter((b): b is string => !!b))];
}

/** The ledger's parameters (the whole tree under /cdk-security-members). */
function ledgerParameters(): string[] {
  return [...endpoint.ssm.parameters.keys()].filter((name) => name.startsWith('/cdk-security-members/')).sort();
}

const mutatingCalls = () => endpoint.calls.filter((c) => MUTATING.includes(c.operation) && c.outcome === 'ok');
const ids = (n: number, start = 100000000000) => Array.from({ length: n }, (_, i) => String(start + i));
const accounts = (list: string[]): MemberAccount[] => list.map((accountId) => ({ accountId, email: `root+${accountId}@example.com` }));
const entries = (list: string[]) => list.map((id) => `${id}:root+${id}@example.com`);
const HAND_ADDED = '999999999990';

interface ServiceCase {
  readonly name: 'GuardDuty' | 'Detective' | 'SecurityHub';
  readonly type: string;
  readonly accepted: string;
  readonly invited: string;
  readonly members: () => Map<string, { accountId: string; email: string; status: string }>;
  /** A construct of the service in `stack`, on the endpoint's detector or graph. */
  add(stack: Stack, id: string, members: MemberAccount[], extra?: object): void;
  /** Raw properties as an earlier version wrote them (no ledger schema); none for services added since. */
  legacyProps?(list: string[]): Record<string, unknown>;
}

const GUARDDUTY: ServiceCase = {
  name: 'GuardDuty',
  type: 'Custom::GuardDutyMembers',
  accepted: 'Enabled',
  invited: 'Invited',
  members: () => endpoint.model.guardDuty,
  add: (stack, id, members, extra = {}) => new GuardDutyMembers(stack, id, { detectorId: endpoint.model.detectorId, members, ...extra }),
  legacyProps: (list) => ({ Service: 'GuardDuty', DetectorId: endpoint.model.detectorId, Members: entries(list), Invite: true, MemberRemoval: 'DELETE', FailOnUnprocessed: true }),
};

const DETECTIVE: ServiceCase = {
  name: 'Detective',
  type: 'Custom::DetectiveGraphMembers',
  accepted: 'ENABLED',
  invited: 'INVITED',
  members: () => endpoint.model.detective,
  add: (stack, id, members, extra = {}) => new DetectiveGraphMembers(stack, id, { graphArn: endpoint.model.graphArn, members, ...extra }),
  legacyProps: (list) => ({ Service: 'Detective', GraphArn: endpoint.model.graphArn, Members: entries(list), FailOnUnprocessed: true }),
};

const SECURITYHUB: ServiceCase = {
  name: 'SecurityHub',
  type: 'Custom::SecurityHubMembers',
  accepted: 'Enabled',
  invited: 'Invited',
  members: () => endpoint.model.securityHub,
  add: (stack, id, members, extra = {}) => new SecurityHubMembers(stack, id, { members, ...extra }),
};

const state = (service: ServiceCase) => endpoint.model.state(service.name);
/**
 * Members still of the target: Security Hub keeps the record of a disassociated organization
 * account (DeleteMembers refuses it), as Removed.
 */
const active = (service: ServiceCase) => Object.fromEntries(Object.entries(state(service)).filter(([, status]) => status !== 'Removed'));
/** Accounts, statuses and recorded emails. */
const snapshot = (service: ServiceCase) => Object.fromEntries([...service.members().values()]
  .sort((a, b) => a.accountId.localeCompare(b.accountId)).map((m) => [m.accountId, `${m.status} ${m.email}`]));

/** A stack template with one construct per entry: logical IDs from the construct IDs. */
function template(service: ServiceCase, constructs: Record<string, string[]>, stackName = 'Members', extra: object = {}): Template {
  return synthesizeTemplate((stack) => {
    for (const [id, list] of Object.entries(constructs)) service.add(stack, id, accounts(list), extra);
  }, stackName);
}

function accept(service: ServiceCase, list: string[]) {
  list.forEach((id) => (service.members().get(id)!.status = service.accepted));
}

describe.each([GUARDDUTY, DETECTIVE, SECURITYHUB])('$name: ownership', (service) => {
  test('a rename (new logical ID: create the new, then delete the old in cleanup) keeps every member with its status', async () => {
    await setup();
    const stack = cfn.stack('Members');
    const [a, b] = ids(2);
    await stack.deploy(template(service, { Old: [a, b] }));
    accept(service, [a]);
    const before = snapshot(service);
    endpoint.calls.length = 0;

    await stack.deploy(template(service, { New: [a, b] }));
    expect(snapshot(service)).toEqual(before);
    expect(mutatingCalls()).toEqual([]);
    expect([...stack.resources.keys()]).toEqual([expect.stringMatching(/^New/)]);
  });

  test.each([
    ['the giving construct updates first', ['Giver', 'Receiver']],
    ['the receiving construct updates first', ['Receiver', 'Giver']],
  ])('moving accounts between two constructs removes nothing when %s', async (_name, order) => {
    await setup();
    const stack = cfn.stack('Members');
    const [a, b, c, d] = ids(4);
    await stack.deploy(template(service, { Giver: [a, b, c], Receiver: [d] }));
    accept(service, [a, b]);
    const before = snapshot(service);
    endpoint.calls.length = 0;

    const next = template(service, { Giver: [a], Receiver: [d, b, c] });
    const rank = (logicalId: string) => order.findIndex((o) => logicalId.startsWith(o));
    await stack.deploy(next, { order: Object.keys(next).sort((x, y) => rank(x) - rank(y)) });
    expect(snapshot(service)).toEqual(before);
    expect(mutatingCalls()).toEqual([]);
  });

  test('several member resources of one stack updated at the same time: moves and additions, nothing lost', async () => {
    await setup();
    const stack = cfn.stack('Members');
    const list = ids(8);
    await stack.deploy(template(service, { One: list.slice(0, 3), Two: list.slice(3, 6) }));
    accept(service, list.slice(0, 6));
    const moved = template(service, { One: [...list.slice(0, 1), ...list.slice(3, 5)], Two: [...list.slice(1, 3), list[5], ...list.slice(6)] });
    await stack.deploy(moved, { concurrent: true });
    expect(Object.keys(state(service))).toEqual(list);
    expect(list.slice(0, 6).every((id) => state(service)[id] === service.accepted)).toBe(true);
  });

  test('an account two stacks declare survives the first stack\'s delete and goes with the last', async () => {
    await setup();
    const [a, shared, c] = ids(3);
    const first = cfn.stack('First');
    const second = cfn.stack('Second');
    await first.deploy(template(service, { Members: [a, shared] }, 'First'));
    await second.deploy(template(service, { Members: [shared, c] }, 'Second'));
    accept(service, [shared]);

    await first.delete();
    expect(state(service)).toEqual({ [shared]: service.accepted, [c]: service.invited });
    await second.delete();
    expect(state(service)).toEqual({});
    expect(ledgerParameters()).toEqual([]);
  });

  test('a rollback caused by another resource leaves membership, statuses and recorded emails exactly as before', async () => {
    await setup();
    const stack = cfn.stack('Members');
    const [kept, removedInvited, removedOrg, adopted, created] = ids(5);
    endpoint.model.organization.add(removedOrg);
    await stack.deploy(template(service, { Members: [kept, removedInvited, removedOrg] }));
    accept(service, [kept]);
    // A working member nobody declared yet: the update adopts it.
    service.members().set(adopted, { accountId: adopted, email: 'adopted-root@example.com', status: service.accepted });
    service.members().set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: service.accepted });
    const before = snapshot(service);

    const failing = template(service, { Members: [kept, adopted, created] });
    await expect(stack.deploy(failing, { anotherResourceFails: true })).rejects.toThrow(DeploymentFailed);
    const after = snapshot(service);
    // The adopted Enabled member stays; the created one goes; the removed ones come back with their emails.
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after[kept]).toBe(before[kept]);
    expect(after[adopted]).toBe(before[adopted]);
    expect(after[removedOrg]).toBe(before[removedOrg]);
    expect(after[HAND_ADDED]).toBe(before[HAND_ADDED]);
    // An invited account removed and restored must accept a new invitation: still invited, same email.
    expect(after[removedInvited]).toBe(before[removedInvited]);
    expect(after[created]).toBeUndefined();
    // The claim is the one from before the failed deployment: a later delete removes exactly the old declaration.
    await stack.delete();
    expect(active(service)).toEqual({ [adopted]: service.accepted, [HAND_ADDED]: service.accepted });
  });

  test('the claim of a stack that was deleted while its resource\'s Delete was skipped does not block removals, and is cleaned up', async () => {
    await setup();
    const [a] = ids(1);
    const owner = cfn.stack('Owner');
    const abandoned = cfn.stack('Abandoned');
    await owner.deploy(template(service, { Members: [a] }, 'Owner'));
    await abandoned.deploy(template(service, { Members: [a] }, 'Abandoned'));
    await abandoned.delete({ skip: [...abandoned.resources.keys()] });
    expect(ledgerParameters().some((name) => name.includes('/Abandoned/'))).toBe(true);

    await owner.delete();
    expect(state(service)).toEqual({});
    expect(ledgerParameters()).toEqual([]);
  });

  test('emails are stored only in SecureString parameters', async () => {
    await setup();
    const stack = cfn.stack('Members');
    await stack.deploy(template(service, { Members: ids(3) }));
    const secure = [...endpoint.ssm.parameters.values()].filter((p) => p.type === 'SecureString');
    expect(secure.some((p) => p.name.includes('/declaration/'))).toBe(true);
    expect(secure.map((p) => p.value).join('\n')).toMatch(EMAIL);
    // (Every String parameter is checked after each test.)
  });
});

describe.each([GUARDDUTY, DETECTIVE])('$name: upgrade', (service) => {
  test('the upgrade from a version without the ledger builds the claim and changes no membership by itself', async () => {
    await setup();
    const list = ids(4);
    // As the earlier version left it: members, no claim, properties without the ledger's schema.
    for (const id of list) service.members().set(id, { accountId: id, email: `root+${id}@example.com`, status: id === list[0] ? 'Created' : service.accepted });
    const stack = cfn.stack('Members');
    const next = template(service, { Members: list });
    const [logicalId] = Object.keys(next);
    const physicalId = service.name === 'GuardDuty' ? endpoint.model.detectorId : endpoint.model.graphArn;
    stack.resources.set(logicalId, { type: service.type, properties: service.legacyProps!(list), physicalId });
    endpoint.cloudFormation.setStatus(stack.stackId, 'UPDATE_COMPLETE');
    const before = snapshot(service);

    await stack.deploy(next);
    expect(snapshot(service)).toEqual(before);
    expect(mutatingCalls()).toEqual([]);
    expect(ledgerParameters().some((name) => name.includes(`/Members/${logicalId}/claim/`))).toBe(true);
    // From now on the claim decides: dropping an account removes it.
    await stack.deploy(template(service, { Members: list.slice(1) }));
    expect(Object.keys(state(service))).toEqual(list.slice(1));
  });

});

describe('GuardDuty', () => {
  const gdTemplate = (list: string[], extra: object = {}) => template(GUARDDUTY, { Members: list }, 'Members', extra);

  test('create -> update (add and remove) -> delete; hand-added members never touched; organization accounts never invited', async () => {
    await setup();
    const m = endpoint.model;
    m.guardDuty.set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: 'Enabled' });
    const [a, b, c, d] = ids(4);
    m.organization.add(d);
    const stack = cfn.stack('Members');

    await stack.deploy(gdTemplate([a, b, c]));
    expect([...stack.resources.values()][0].physicalId).toBe(m.detectorId);
    expect(m.state('GuardDuty')).toEqual({ [a]: 'Invited', [b]: 'Invited', [c]: 'Invited', [HAND_ADDED]: 'Enabled' });

    await stack.deploy(gdTemplate([a, d]));
    expect(m.state('GuardDuty')).toEqual({ [a]: 'Invited', [d]: 'Enabled', [HAND_ADDED]: 'Enabled' });

    await stack.delete();
    expect(m.state('GuardDuty')).toEqual({ [HAND_ADDED]: 'Enabled' });
    expect(m.invitesToOrganizationAccounts).toEqual([]);
    expect([...m.invitations.values()].every((n) => n === 1)).toBe(true);
    expect(ledgerParameters()).toEqual([]);
  });

  test('a failed create (account bound to another administrator) leaves membership as before, and so does its rollback Delete', async () => {
    await setup();
    const m = endpoint.model;
    m.guardDuty.set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: 'Enabled' });
    const before = m.state('GuardDuty');
    const list = ids(60);
    m.boundElsewhere.set(list[42], 'The account is already associated with a different administrator account.');
    const stack = cfn.stack('Members');

    await expect(stack.deploy(gdTemplate(list))).rejects.toThrow(
      new RegExp(`CreateMembers, 1 account: "The account is already associated with a different administrator account." \\(${list[42]}\\)`),
    );
    expect(m.state('GuardDuty')).toEqual(before);
    // One pointer to the log: the framework's, naming the handler's own log group.
    expect(cfn.framework.reasons[0]).toMatch(/Full list in the log, request req-\d+\.\n\nLogs: \/aws\/lambda\/Members-SecurityMembers-0123abcd\n$/);
    expect(ledgerParameters()).toEqual([]);
  });

  test('a failed update, then CloudFormation\'s rollback: membership as before', async () => {
    await setup();
    const m = endpoint.model;
    const [a, b, c, bad] = ids(4);
    const stack = cfn.stack('Members');
    await stack.deploy(gdTemplate([a, b]));
    m.guardDuty.get(a)!.status = 'Enabled';
    const before = snapshot(GUARDDUTY);
    m.boundElsewhere.set(bad, 'The account is already associated with a different administrator account.');

    await expect(stack.deploy(gdTemplate([a, c, bad]))).rejects.toThrow(/No member was removed/);
    expect(snapshot(GUARDDUTY)).toEqual(before);
  });

  test('organization members under auto-enable ALL: the refused removal fails the update with the reason; the rollback keeps membership', async () => {
    await setup();
    const m = endpoint.model;
    const [org, other] = ids(2);
    m.organization.add(org);
    m.autoEnableAll = true;
    const stack = cfn.stack('Members');
    await stack.deploy(gdTemplate([org]));
    await expect(stack.deploy(gdTemplate([other]))).rejects.toThrow(/DisassociateMembers, 1 account: "The request is rejected because auto-enable is set to ALL/);
    expect(m.state('GuardDuty')).toEqual({ [org]: 'Enabled' });
  });

  test('the removal guard: a deployment removing more than 25% of a large declaration fails before any change; maxRemovals allows it', async () => {
    await setup();
    const list = ids(40);
    const stack = cfn.stack('Members');
    await stack.deploy(gdTemplate(list));
    endpoint.calls.length = 0;
    await expect(stack.deploy(gdTemplate(list.slice(0, 5)))).rejects.toThrow(
      'GuardDuty: this deployment would remove 35 accounts from the detector, more than the default limit of 10 (25% of the 40 accounts declared before, rounded up). Nothing was changed.',
    );
    expect(mutatingCalls()).toEqual([]);
    expect(Object.keys(endpoint.model.state('GuardDuty'))).toHaveLength(40);
    await stack.deploy(gdTemplate(list.slice(0, 5), { maxRemovals: 35 }));
    expect(Object.keys(endpoint.model.state('GuardDuty'))).toEqual(list.slice(0, 5));
  });

  test('1,000 accounts with no time beyond the reserve: the create spans invocations, each one makes progress, and it ends with every account a member', async () => {
    // Each invocation starts past its deadline, so the run spans invocations however fast the
    // host is (a budget of a few hundred milliseconds did not on a fast one); each invocation
    // still makes one call of progress.
    await setup({ remainingMs: TIME_RESERVE_MS - 1 });
    const list = ids(1000);
    const stack = cfn.stack('Members');
    await stack.deploy(gdTemplate(list));
    expect(Object.values(endpoint.model.state('GuardDuty'))).toEqual(list.map(() => 'Invited'));
    const mutating = mutatingCalls().filter((call) => call.service === 'GuardDuty').length;
    expect(mutating).toBe(40);
    // One batch per invocation (its create, and the invitation that completes it), and no invocation without one.
    expect(cfn.framework.isCompleteCalls[0]).toBe(mutating / 2);
    expect(Math.max(...endpoint.model.invitations.values())).toBe(1);
    expect(endpoint.maxAccountsPerCall()).toBeLessThanOrEqual(50);
  }, 120_000);

  test('200 accounts under 15% server errors, throttling and 5% lost responses end exactly at the declared set', async () => {
    await setup({ seed: 4, faults: { errorRate: 0.15, throttleRate: 0.05, lostRate: 0.05 } });
    const m = endpoint.model;
    m.guardDuty.set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: 'Enabled' });
    const list = ids(200);
    const stack = cfn.stack('Members');

    await stack.deploy(gdTemplate(list));
    const next = [...list.slice(20), ...ids(20, 200000000000)];
    await stack.deploy(gdTemplate(next));

    const expected = Object.fromEntries(next.map((id) => [id, 'Invited']));
    expect(m.state('GuardDuty')).toEqual({ ...expected, [HAND_ADDED]: 'Enabled' });
    for (const outcome of ['error', 'throttled', 'lost']) {
      expect(endpoint.calls.some((c) => c.outcome === outcome)).toBe(true);
    }
    expect(Math.max(...m.invitations.values())).toBe(1);
    expect(endpoint.maxAccountsPerCall()).toBeLessThanOrEqual(50);
  }, 120_000);
});

describe('Detective', () => {
  const dtTemplate = (list: string[], extra: object = {}) => template(DETECTIVE, { Members: list }, 'Members', { message: 'Join the graph', ...extra });

  test('create -> update -> delete with organization and invited accounts mixed', async () => {
    await setup();
    const m = endpoint.model;
    m.detective.set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: 'ENABLED' });
    const list = ids(120);
    list.filter((_, i) => i % 3 === 0).forEach((id) => m.organization.add(id));
    const stack = cfn.stack('Members');

    await stack.deploy(dtTemplate(list));
    expect(Object.keys(m.state('Detective'))).toHaveLength(121);
    expect(m.state('Detective')[list[0]]).toBe('ENABLED');
    expect(m.state('Detective')[list[1]]).toBe('INVITED');
    expect(endpoint.countFor('Detective', 'CreateMembers')).toBe(3);

    await stack.deploy(dtTemplate(list.slice(0, 100)));
    expect(Object.keys(m.state('Detective'))).toHaveLength(101);

    await stack.delete();
    expect(m.state('Detective')).toEqual({ [HAND_ADDED]: 'ENABLED' });
  });

  test('a failed create leaves the graph as before; a failed update rolls back', async () => {
    await setup();
    const m = endpoint.model;
    const list = ids(3);
    m.boundElsewhere.set(list[1], 'Account is a member of another behavior graph');
    const stack = cfn.stack('Members');
    await expect(stack.deploy(dtTemplate(list))).rejects.toThrow(/Account is a member of another behavior graph/);
    expect(m.state('Detective')).toEqual({});

    const second = cfn.stack('Second');
    await second.deploy(template(DETECTIVE, { Members: [list[0]] }, 'Second'));
    const before = snapshot(DETECTIVE);
    await expect(second.deploy(template(DETECTIVE, { Members: list }, 'Second'))).rejects.toThrow(/No member was removed/);
    expect(snapshot(DETECTIVE)).toEqual(before);
  });

  test('verification failures reported in CreateMembers\' Members fail the deployment with the reason; disabled organization accounts are counted', async () => {
    await setup();
    const m = endpoint.model;
    const [wrong, disabled] = ids(2);
    m.rootEmails.set(wrong, 'the-real-root@example.com');
    m.organization.add(disabled);
    m.disabledReason.set(disabled, 'VOLUME_UNKNOWN');
    const stack = cfn.stack('Members');
    await expect(stack.deploy(dtTemplate([wrong, disabled]))).rejects.toThrow(/email verification failed \(VERIFICATION_FAILED\)/);
    expect(m.state('Detective')).toEqual({});
    await stack.deploy(dtTemplate([disabled]));
    expect(m.state('Detective')).toEqual({ [disabled]: 'ACCEPTED_BUT_DISABLED' });
    expect(logLines.some((l) => l.includes('accepted but disabled') && l.includes('VOLUME_UNKNOWN'))).toBe(true);
  });

  test('the 1,200 quota stops the deployment before any change', async () => {
    await setup();
    const m = endpoint.model;
    for (const id of ids(1190, 300000000000)) m.detective.set(id, { accountId: id, email: 'x@example.com', status: 'ENABLED' });
    const stack = cfn.stack('Members');
    await expect(stack.deploy(dtTemplate(ids(20)))).rejects.toThrow(/over the service limit of 1200\. Nothing was changed/);
    expect(endpoint.countFor('Detective', 'CreateMembers')).toBe(0);
  });

  test('200 accounts under faults end exactly at the declared set', async () => {
    await setup({ seed: 11, faults: { errorRate: 0.15, throttleRate: 0.05, lostRate: 0.05 } });
    const m = endpoint.model;
    const list = ids(200);
    const stack = cfn.stack('Members');
    await stack.deploy(dtTemplate(list));
    await stack.deploy(dtTemplate(list.slice(50), { maxRemovals: 50 }));
    expect(Object.keys(m.state('Detective')).sort()).toEqual(list.slice(50));
    for (const outcome of ['error', 'throttled', 'lost']) {
      expect(endpoint.calls.some((c) => c.outcome === outcome)).toBe(true);
    }
    expect(Math.max(...m.invitations.values())).toBe(1);
    expect(endpoint.maxAccountsPerCall()).toBeLessThanOrEqual(50);
  }, 120_000);

  test('graph gone on delete is success', async () => {
    await setup();
    const stack = cfn.stack('Members');
    await stack.deploy(dtTemplate(ids(2)));
    endpoint.model.graphExists = false;
    await expect(stack.delete()).resolves.toBeUndefined();
    expect(ledgerParameters()).toEqual([]);
  });
});

describe('SecurityHub', () => {
  const shTemplate = (list: string[], extra: object = {}) => template(SECURITYHUB, { Members: list }, 'Members', extra);

  test('create -> update -> delete: organization accounts enabled and never invited, invited ones invited, hand-added untouched', async () => {
    await setup();
    const m = endpoint.model;
    m.securityHub.set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: 'Enabled' });
    const list = ids(120);
    list.filter((_, i) => i % 2 === 0).forEach((id) => m.organization.add(id));
    const stack = cfn.stack('Members');

    await stack.deploy(shTemplate(list));
    expect([...stack.resources.values()][0].physicalId).toBe(m.hubArn);
    expect(m.state('SecurityHub')[list[0]]).toBe('Enabled');
    expect(m.state('SecurityHub')[list[1]]).toBe('Invited');
    expect(endpoint.countFor('SecurityHub', 'CreateMembers')).toBe(3);
    expect(m.invitesToOrganizationAccounts).toEqual([]);

    await stack.deploy(shTemplate(list.slice(0, 100)));
    expect(Object.keys(active(SECURITYHUB))).toHaveLength(101);
    // Organization accounts cannot be deleted from Security Hub, only disassociated: they stay as Removed.
    expect(list.slice(100).filter((id) => m.organization.has(id)).every((id) => m.state('SecurityHub')[id] === 'Removed')).toBe(true);
    expect(list.slice(100).filter((id) => !m.organization.has(id)).every((id) => !m.securityHub.has(id))).toBe(true);
    await stack.delete();
    expect(active(SECURITYHUB)).toEqual({ [HAND_ADDED]: 'Enabled' });
    expect(ledgerParameters()).toEqual([]);
  });

  test('an account without Security Hub fails the create with a reason saying so, and nothing changes', async () => {
    await setup();
    endpoint.model.hubEnabled = false;
    const stack = cfn.stack('Members');
    await expect(stack.deploy(shTemplate(ids(2)))).rejects.toThrow(/Security Hub is not enabled in this account and region/);
    expect(mutatingCalls()).toEqual([]);
    expect(ledgerParameters()).toEqual([]);
  });

  test('statuses the service answers upper-case are understood: accepted members stay, nothing is recreated', async () => {
    await setup();
    endpoint.model.statusCase = 'upper';
    const list = ids(3);
    const stack = cfn.stack('Members');
    await stack.deploy(shTemplate(list));
    accept(SECURITYHUB, list);
    endpoint.calls.length = 0;
    await stack.deploy(shTemplate([...list, ...ids(1, 200000000000)]));
    expect(mutatingCalls().map((c) => c.operation)).toEqual(['CreateMembers', 'InviteMembers']);
    expect(list.every((id) => endpoint.model.securityHub.get(id)!.status === 'Enabled')).toBe(true);
  });

  test('past the 1,000 invited members the service leaves the rest unprocessed: the deployment fails with its reason and is undone', async () => {
    await setup();
    endpoint.model.securityHubQuota.invitation = 60;
    const stack = cfn.stack('Members');
    await expect(stack.deploy(shTemplate(ids(80)))).rejects.toThrow(/SecurityHub: 20 accounts of 80 declared could not be brought to the declared state\. CreateMembers, 20 accounts/);
    expect(endpoint.model.state('SecurityHub')).toEqual({});
  });

  test('200 accounts under faults end exactly at the declared set', async () => {
    await setup({ seed: 16, faults: { errorRate: 0.15, throttleRate: 0.05, lostRate: 0.05 } });
    const list = ids(200);
    const stack = cfn.stack('Members');
    await stack.deploy(shTemplate(list));
    await stack.deploy(shTemplate(list.slice(40), { maxRemovals: 40 }));
    expect(Object.keys(endpoint.model.state('SecurityHub')).sort()).toEqual(list.slice(40));
    // Security Hub's own calls met every kind of fault (their dice replay from the seed).
    const outcomes = new Set(endpoint.calls.filter((c) => c.service === 'SecurityHub').map((c) => c.outcome));
    expect(['error', 'throttled', 'lost'].filter((outcome) => !outcomes.has(outcome))).toEqual([]);
    expect(endpoint.maxAccountsPerCall()).toBeLessThanOrEqual(50);
  }, 120_000);
});

/** An account of the organization below `parent`, known to the member services as one (auto-enabled, never invited). */
function organizationAccount(id: string, parentId: string, accountState: 'ACTIVE' | 'SUSPENDED' | 'CLOSED' = 'ACTIVE') {
  endpoint.organizations.addAccount(id, { parentId, state: accountState, email: `root+org-${id}@example.com` });
  endpoint.model.organization.add(id);
}

/** Accounts any call to a member service named. */
const namedAccounts = () => new Set(endpoint.calls.filter((c) => c.service && c.service !== 'Organizations').flatMap((c) => c.accountIds ?? []));

describe.each([GUARDDUTY, DETECTIVE, SECURITYHUB])('$name: members from the organization', (service) => {
  const [inWorkloads, inProd, suspended, excluded, closed, inSandbox, joiner, staticMember] = ids(8, 300000000000);
  let workloads: string;
  let prod: string;
  let sandbox: string;

  /** Workloads (an account) › Prod (an account, an excluded one, the administrator) and Dev (suspended, closed); Sandbox beside it. */
  async function organization(options: Parameters<typeof setup>[0] = {}) {
    await setup(options);
    const org = endpoint.organizations;
    workloads = org.addOrganizationalUnit('Workloads');
    prod = org.addOrganizationalUnit('Prod', workloads);
    const dev = org.addOrganizationalUnit('Dev', workloads);
    sandbox = org.addOrganizationalUnit('Sandbox');
    organizationAccount(inWorkloads, workloads);
    organizationAccount(inProd, prod);
    organizationAccount(excluded, prod);
    organizationAccount(suspended, dev, 'SUSPENDED');
    organizationAccount(closed, dev, 'CLOSED');
    organizationAccount(inSandbox, sandbox);
    org.moveAccount('999999999999', prod);
    org.shortPages = true;
  }

  const declared = (extra: object = {}) => synthesizeStack((stack) => service.add(stack, 'Members', accounts([staticMember]), {
    organizationalUnits: [workloads],
    excludeAccounts: [excluded],
    syncSchedule: events.Schedule.rate(Duration.hours(1)),
    ...extra,
  }));

  test('a create declares the ACTIVE accounts of nested OUs with their Organizations emails; suspended, closed, excluded and administrator accounts are in no call', async () => {
    await organization();
    const stack = cfn.stack('Members');
    await stack.deploy(declared().template);
    expect(Object.keys(active(service)).sort()).toEqual([inWorkloads, inProd, staticMember].sort());
    expect(service.members().get(inProd)!.email).toBe(`root+org-${inProd}@example.com`);
    expect(service.members().get(staticMember)!.email).toBe(`root+${staticMember}@example.com`);
    const named = namedAccounts();
    expect([suspended, excluded, closed, inSandbox, '999999999999'].filter((id) => named.has(id))).toEqual([]);
    // Organization accounts are enabled by CreateMembers, never invited; the static one outside the organization is.
    expect(endpoint.model.invitesToOrganizationAccounts).toEqual([]);
    expect(service.members().get(staticMember)!.status).not.toBe(service.accepted);
  });

  test('a sync brings the declaration back to the organization: a joiner joins, an account moved out and one suspended leave; a hand-added member stays', async () => {
    await organization();
    const stack = cfn.stack('Members');
    const { template: declaration, syncs } = declared();
    await stack.deploy(declaration);
    service.members().set(HAND_ADDED, { accountId: HAND_ADDED, email: 'hand@example.com', status: service.accepted });
    organizationAccount(joiner, prod);
    endpoint.organizations.moveAccount(inProd, sandbox);
    endpoint.organizations.setState(inWorkloads, 'SUSPENDED');
    endpoint.calls.length = 0;

    const result = await stack.sync(Object.values(syncs)[0]);
    expect(result).toMatchObject({ outcome: 'synced' });
    expect(Object.keys(active(service)).sort()).toEqual([joiner, staticMember, HAND_ADDED].sort());
    expect(service.members().get(HAND_ADDED)!.status).toBe(service.accepted);
    // The claim keeps the deployed declaration; the next deployment of the same template changes nothing.
    endpoint.calls.length = 0;
    const again = await stack.sync(Object.values(syncs)[0]);
    expect(again).toMatchObject({ outcome: 'synced' });
    expect(mutatingCalls()).toEqual([]);
    expect(endpoint.cloudWatch.metrics).toEqual([]);
  });

  test('a sync restores a static member removed by hand', async () => {
    await organization();
    const stack = cfn.stack('Members');
    const { template: declaration, syncs } = synthesizeStack((s) => service.add(s, 'Members', accounts([staticMember]), { syncSchedule: events.Schedule.rate(Duration.hours(6)) }));
    await stack.deploy(declaration);
    service.members().delete(staticMember);
    await stack.sync(Object.values(syncs)[0]);
    expect(Object.keys(active(service))).toEqual([staticMember]);
  });

  test('a sync that fails (an OU it cannot read) changes nothing and publishes the failure metric once per failed sync', async () => {
    await organization();
    const stack = cfn.stack('Members');
    const { template: declaration, syncs } = declared();
    await stack.deploy(declaration);
    const before = snapshot(service);
    endpoint.organizations.unreadable.add(prod);
    endpoint.calls.length = 0;
    const result = await stack.sync(Object.values(syncs)[0]);
    expect(result).toMatchObject({ outcome: 'failed' });
    expect(String(result.reason)).toMatch(new RegExp(`organizationalUnits: ${prod} \\(below ${workloads}\\) could not be read: ListAccountsForParent answered AccessDeniedException|ListChildren answered AccessDeniedException`));
    expect(mutatingCalls()).toEqual([]);
    expect(snapshot(service)).toEqual(before);
    const target = [...stack.resources.values()][0];
    expect(endpoint.cloudWatch.metrics).toEqual([
      expect.objectContaining({ namespace: 'CdkSecurityMembers', name: 'SyncFailures', dimensions: { Service: service.name, Target: target.physicalId }, value: 1 }),
    ]);
    await stack.sync(Object.values(syncs)[0]);
    expect(endpoint.cloudWatch.metrics).toHaveLength(2);
  });

  test('a sync skips while a deployment holds the target\'s lock, and while the stack is being deployed', async () => {
    await organization();
    const stack = cfn.stack('Members');
    const { template: declaration, syncs } = declared();
    await stack.deploy(declaration);
    organizationAccount(joiner, prod);
    const lock = ledgerParameters().find((name) => name.endsWith('/census'))!.replace(/census$/, 'lock');
    await endpoint.ssm.put({ Name: lock, Value: JSON.stringify({ owner: 'req-deploying/run', expires: Date.now() + 60_000 }), Type: 'String' });
    endpoint.calls.length = 0;
    expect(await stack.sync(Object.values(syncs)[0])).toMatchObject({ outcome: 'skipped', reason: 'locked' });
    endpoint.ssm.parameters.delete(lock);
    endpoint.cloudFormation.setStatus(stack.stackId, 'UPDATE_IN_PROGRESS');
    expect(await stack.sync(Object.values(syncs)[0])).toMatchObject({ outcome: 'skipped', reason: 'deploying' });
    expect(mutatingCalls()).toEqual([]);
    expect(service.members().has(joiner)).toBe(false);
    expect(endpoint.cloudWatch.metrics).toEqual([]);
  });

  test('an OU that cannot be read fails the deployment before any change, naming the OU and Organizations\' answer', async () => {
    await organization();
    endpoint.organizations.unreadable.add(prod);
    const stack = cfn.stack('Members');
    await expect(stack.deploy(declared().template)).rejects.toThrow(
      new RegExp(`${service.name}: organizationalUnits: ${prod} \\(below ${workloads}\\) could not be read: (ListAccountsForParent|ListChildren) answered AccessDeniedException: .*Nothing was changed`));
    expect(mutatingCalls()).toEqual([]);
    expect(state(service)).toEqual({});
  });

  test.each([['A', 'B'], ['B', 'A']])('accounts swapping between two constructs\' OUs in one deployment are never removed (%s updates first)', async (...order) => {
    await organization();
    const stack = cfn.stack('Members');
    const two = (aUnits: string[], bUnits: string[]) => synthesizeTemplate((s) => {
      service.add(s, 'A', [], { organizationalUnits: aUnits });
      service.add(s, 'B', [], { organizationalUnits: bUnits });
    });
    await stack.deploy(two([prod], [sandbox]));
    expect(Object.keys(active(service)).sort()).toEqual([inProd, excluded, inSandbox].sort());
    accept(service, [inProd, inSandbox]);
    endpoint.calls.length = 0;
    const next = two([sandbox], [prod]);
    await stack.deploy(next, { order: order.map((id) => Object.keys(next).find((key) => key.startsWith(id))!) });
    expect([inProd, inSandbox].map((id) => service.members().get(id)?.status)).toEqual([service.accepted, service.accepted]);
    expect(endpoint.calls.filter((c) => ['DisassociateMembers', 'DeleteMembers'].includes(c.operation))).toEqual([]);
  });
});

describe('declarations at the services\' scale, as synthesized', () => {
  const single = (synthesized: ReturnType<typeof synthesizeMembers>): Template => ({
    MembersResource: { type: synthesized.resourceType, properties: synthesized.properties },
  });

  test('5,000 GuardDuty members (compressed properties): create, update +10% -10%, delete', async () => {
    await setup();
    const m = endpoint.model;
    const list = syntheticAccounts(5500);
    const first = synthesizeMembers('GuardDuty', list.slice(0, 5000), m.detectorId);
    const second = synthesizeMembers('GuardDuty', list.slice(500), m.detectorId, { maxRemovals: 500 });
    expect(first.properties).toHaveProperty('MembersCompressed');
    const stack = cfn.stack('Members');

    await stack.deploy(single(first));
    expect(Object.keys(m.state('GuardDuty'))).toHaveLength(5000);
    expect(endpoint.countFor('GuardDuty', 'CreateMembers')).toBe(100);
    endpoint.calls.length = 0;

    await stack.deploy(single(second));
    expect(Object.keys(m.state('GuardDuty'))).toEqual(list.slice(500).map((a) => a.accountId));
    expect(endpoint.countFor('GuardDuty', 'CreateMembers')).toBe(10);
    expect(endpoint.countFor('GuardDuty', 'DisassociateMembers')).toBe(10);
    expect(endpoint.countFor('GuardDuty', 'DeleteMembers')).toBe(10);
    // The census tells the update that reading the 5,500 accounts beats listing 100 pages.
    expect(endpoint.countFor('GuardDuty', 'ListMembers')).toBe(0);

    await stack.delete();
    expect(m.state('GuardDuty')).toEqual({});
    expect(ledgerParameters()).toEqual([]);
  }, 120_000);

  test('1,200 Detective members: create; at the quota, swap 10% as removal then addition; delete', async () => {
    await setup();
    const m = endpoint.model;
    const list = syntheticAccounts(1200 + 120, 7);
    const stack = cfn.stack('Members');
    const deploy = (slice: MemberAccount[]) => stack.deploy(single(synthesizeMembers('Detective', slice)));
    await deploy(list.slice(0, 1200));
    expect(Object.keys(m.state('Detective'))).toHaveLength(1200);
    // Additions run before removals, so a full graph cannot swap accounts in one deployment.
    await expect(deploy(list.slice(120))).rejects.toThrow(/over the service limit of 1200\. Nothing was changed/);
    await deploy(list.slice(120, 1200));
    await deploy(list.slice(120));
    expect(Object.keys(m.state('Detective')).sort()).toEqual(list.slice(120).map((a) => a.accountId));
    await stack.delete();
    expect(m.state('Detective')).toEqual({});
  }, 120_000);
});
