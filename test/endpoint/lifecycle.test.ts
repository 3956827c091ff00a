/**
 * CloudFormation lifecycles against the local endpoint, through the bundled handler in
 * assets/ (as it will be deployed) and the real AWS SDK clients it carries.
 */
import * as fs from 'fs';
import * as path from 'path';
import { syntheticAccounts } from './accounts';
import { Endpoint, Faults, startEndpoint } from './member-endpoint';
import { synthesizeMembers } from './synthesized';
import { actionsCalledByHandler } from '../private/handler-actions';

const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'private', 'reconcile.lambda', 'index.js');
const CONTEXT = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:999999999999:function:handler',
  getRemainingTimeInMillis: () => 14 * 60 * 1000,
};

type Handler = (event: object, context: object) => Promise<{ PhysicalResourceId: string; Data: Record<string, unknown> }>;
type Props = Record<string, unknown>;

let endpoint: Endpoint;
let handler: Handler;
let logLines: string[];
const savedEnv = { ...process.env };

async function setup(options: { seed?: number; faults?: Faults } = {}) {
  endpoint = await startEndpoint(options);
  process.env.AWS_ENDPOINT_URL_GUARDDUTY = endpoint.url;
  process.env.AWS_ENDPOINT_URL_DETECTIVE = endpoint.url;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  // A fresh module per test: its SDK clients are created for this endpoint.
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is loaded as Lambda loads it
    handler = require(BUNDLE).handler;
  });
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
  expect(actionsSeen.size).toBeGreaterThanOrEqual(8);
});

afterEach(async () => {
  jest.restoreAllMocks();
  endpoint?.calls.forEach((c) => c.service && actionsSeen.add(`${c.service.toLowerCase()}:${c.operation}`));
  process.env = { ...savedEnv };
  await endpoint?.stop();
  // No log line of any scenario may carry an email address.
  for (const line of logLines) {
    expect(line).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
  }
});

/**
 * CloudFormation as the Provider framework sees it: a failed Create answers with a marker and
 * its Delete never reaches the handler; a failed Update is followed by an Update back.
 */
class Stack {
  physicalId?: string;
  props?: Props;
  private requests = 0;

  constructor(private readonly resourceType: string) {}

  private event(requestType: string, props: Props, extra: object = {}) {
    return {
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework',
      ResponseURL: 'https://example.invalid',
      StackId: 'arn:aws:cloudformation:us-east-1:999999999999:stack/s/1',
      RequestId: `r${++this.requests}`,
      LogicalResourceId: 'Members',
      ResourceType: this.resourceType,
      ResourceProperties: { ServiceToken: 'x', ...props },
      ...extra,
    };
  }

  async create(props: Props) {
    try {
      const out = await handler(this.event('Create', props), CONTEXT);
      this.physicalId = out.PhysicalResourceId;
      this.props = props;
      return out;
    } catch (err) {
      this.physicalId = undefined; // CREATE_FAILED marker: the rollback Delete is skipped.
      throw err;
    }
  }

  async update(props: Props) {
    const old = this.props!;
    try {
      const out = await handler(this.event('Update', props, { PhysicalResourceId: this.physicalId, OldResourceProperties: { ServiceToken: 'x', ...old } }), CONTEXT);
      const previousId = this.physicalId!;
      this.physicalId = out.PhysicalResourceId;
      this.props = props;
      if (previousId !== out.PhysicalResourceId) {
        await handler(this.event('Delete', old, { PhysicalResourceId: previousId }), CONTEXT);
      }
      return out;
    } catch (err) {
      // UPDATE_ROLLBACK: the old properties again, the failed ones as old.
      await handler(this.event('Update', old, { PhysicalResourceId: this.physicalId, OldResourceProperties: { ServiceToken: 'x', ...props } }), CONTEXT);
      throw err;
    }
  }

  async delete() {
    if (this.physicalId) {
      await handler(this.event('Delete', this.props!, { PhysicalResourceId: this.physicalId }), CONTEXT);
    }
  }
}

const ids = (n: number, start = 100000000000) => Array.from({ length: n }, (_, i) => String(start + i));
const members = (list: string[]) => list.map((id) => `${id}:root+${id}@example.com`);
const gdProps = (list: string[], extra: Props = {}) => ({ Service: 'GuardDuty', Members: members(list), ...extra });
const dtProps = (list: string[], extra: Props = {}) => ({ Service: 'Detective', Members: members(list), Message: 'Join the graph', ...extra });

describe('GuardDuty', () => {
  test('create -> update (add and remove) -> delete; hand-added members never touched', async () => {
    await setup();
    const m = endpoint.model;
    m.guardDuty.set('999999999990', { accountId: '999999999990', email: 'hand@example.com', status: 'Enabled' });
    const [a, b, c, d] = ids(4);
    m.organization.add(d);
    const stack = new Stack('Custom::GuardDutyMembers');

    const created = await stack.create(gdProps([a, b, c]));
    expect(created.PhysicalResourceId).toBe(m.detectorId);
    expect(m.state('GuardDuty')).toEqual({ [a]: 'Invited', [b]: 'Invited', [c]: 'Invited', 999999999990: 'Enabled' });

    await stack.update(gdProps([a, d]));
    expect(m.state('GuardDuty')).toEqual({ [a]: 'Invited', [d]: 'Enabled', 999999999990: 'Enabled' });

    await stack.delete();
    expect(m.state('GuardDuty')).toEqual({ 999999999990: 'Enabled' });
    // The update's read of its created batch found the organization account d Enabled: it was
    // never named in an InviteMembers call.
    expect(endpoint.count('InviteMembers')).toBe(1);
    expect(endpoint.calls.filter((call) => call.operation === 'GetMembers')).toHaveLength(2);
    expect(m.invitations.has(`GuardDuty:${d}`)).toBe(false);
    expect([...m.invitations.values()].every((n) => n === 1)).toBe(true);
  });

  test('a failed create (account bound to another administrator) leaves membership as before', async () => {
    await setup();
    const m = endpoint.model;
    m.guardDuty.set('999999999990', { accountId: '999999999990', email: 'hand@example.com', status: 'Enabled' });
    const before = m.state('GuardDuty');
    const list = ids(60);
    m.boundElsewhere.set(list[42], 'The account is already associated with a different administrator account.');
    const stack = new Stack('Custom::GuardDutyMembers');

    await expect(stack.create(gdProps(list))).rejects.toThrow(
      new RegExp(`CreateMembers, 1 account: "The account is already associated with a different administrator account." \\(${list[42]}\\)`),
    );
    expect(m.state('GuardDuty')).toEqual(before);
    await stack.delete(); // skipped, as the Provider framework does
    expect(m.state('GuardDuty')).toEqual(before);
  });

  test('a failed update followed by the rollback update leaves membership as before', async () => {
    await setup();
    const m = endpoint.model;
    const [a, b, c, bad] = ids(4);
    const stack = new Stack('Custom::GuardDutyMembers');
    await stack.create(gdProps([a, b]));
    m.guardDuty.get(a)!.status = 'Enabled';
    const before = m.state('GuardDuty');
    m.boundElsewhere.set(bad, 'The account is already associated with a different administrator account.');

    await expect(stack.update(gdProps([a, c, bad]))).rejects.toThrow(/No member was removed/);
    expect(m.state('GuardDuty')).toEqual(before);
  });

  test('organization members under auto-enable ALL: the refused removal fails the update with the reason', async () => {
    await setup();
    const m = endpoint.model;
    const [org, other] = ids(2);
    m.organization.add(org);
    m.autoEnableAll = true;
    const stack = new Stack('Custom::GuardDutyMembers');
    await stack.create(gdProps([org]));
    await expect(stack.update(gdProps([other]))).rejects.toThrow(/DisassociateMembers, 1 account: "The request is rejected because auto-enable is set to ALL/);
    // The rollback update put the declaration back: org is still a member, other is gone.
    expect(m.state('GuardDuty')).toEqual({ [org]: 'Enabled' });
  });

  test('200 accounts under 15% server errors, throttling and 5% lost responses end exactly at the declared set', async () => {
    await setup({ seed: 4, faults: { errorRate: 0.15, throttleRate: 0.05, lostRate: 0.05 } });
    const m = endpoint.model;
    m.guardDuty.set('999999999990', { accountId: '999999999990', email: 'hand@example.com', status: 'Enabled' });
    const list = ids(200);
    const stack = new Stack('Custom::GuardDutyMembers');

    await stack.create(gdProps(list));
    const next = [...list.slice(20), ...ids(20, 200000000000)];
    await stack.update(gdProps(next));

    const expected = Object.fromEntries(next.map((id) => [id, 'Invited']));
    expect(m.state('GuardDuty')).toEqual({ ...expected, 999999999990: 'Enabled' });
    // Every kind of fault really happened (the seed replays them), and no account was
    // invited more than once.
    for (const outcome of ['error', 'throttled', 'lost']) {
      expect(endpoint.calls.some((c) => c.outcome === outcome)).toBe(true);
    }
    expect(Math.max(...m.invitations.values())).toBe(1);
    expect(endpoint.maxAccountsPerCall()).toBeLessThanOrEqual(50);
  }, 120_000);
});

describe('Detective', () => {
  test('create -> update -> delete with organization and invited accounts mixed', async () => {
    await setup();
    const m = endpoint.model;
    m.detective.set('999999999990', { accountId: '999999999990', email: 'hand@example.com', status: 'ENABLED' });
    const list = ids(120);
    list.filter((_, i) => i % 3 === 0).forEach((id) => m.organization.add(id));
    const stack = new Stack('Custom::DetectiveGraphMembers');

    const created = await stack.create(dtProps(list));
    expect(created.PhysicalResourceId).toBe(m.graphArn);
    expect(Object.keys(m.state('Detective'))).toHaveLength(121);
    expect(m.state('Detective')[list[0]]).toBe('ENABLED');
    expect(m.state('Detective')[list[1]]).toBe('INVITED');
    expect(endpoint.count('CreateMembers')).toBe(3);

    await stack.update(dtProps(list.slice(0, 100)));
    expect(Object.keys(m.state('Detective'))).toHaveLength(101);

    await stack.delete();
    expect(m.state('Detective')).toEqual({ 999999999990: 'ENABLED' });
  });

  test('a failed create leaves the graph as before; a failed update rolls back', async () => {
    await setup();
    const m = endpoint.model;
    const list = ids(3);
    m.boundElsewhere.set(list[1], 'Account is a member of another behavior graph');
    const stack = new Stack('Custom::DetectiveGraphMembers');
    await expect(stack.create(dtProps(list))).rejects.toThrow(/Account is a member of another behavior graph/);
    expect(m.state('Detective')).toEqual({});

    await stack.create(dtProps([list[0]]));
    const before = m.state('Detective');
    await expect(stack.update(dtProps([list[0], list[1], list[2]]))).rejects.toThrow(/No member was removed/);
    expect(m.state('Detective')).toEqual(before);
  });

  test('the 1,200 quota stops the deployment before any change', async () => {
    await setup();
    const m = endpoint.model;
    for (const id of ids(1190, 300000000000)) m.detective.set(id, { accountId: id, email: 'x@example.com', status: 'ENABLED' });
    const stack = new Stack('Custom::DetectiveGraphMembers');
    await expect(stack.create(dtProps(ids(20)))).rejects.toThrow(/over the service limit of 1200\. Nothing was changed/);
    expect(endpoint.count('CreateMembers')).toBe(0);
  });

  test('200 accounts under faults end exactly at the declared set', async () => {
    await setup({ seed: 11, faults: { errorRate: 0.15, throttleRate: 0.05, lostRate: 0.05 } });
    const m = endpoint.model;
    const list = ids(200);
    const stack = new Stack('Custom::DetectiveGraphMembers');
    await stack.create(dtProps(list));
    await stack.update(dtProps(list.slice(50)));
    expect(Object.keys(m.state('Detective')).sort()).toEqual(list.slice(50));
    for (const outcome of ['error', 'throttled', 'lost']) {
      expect(endpoint.calls.some((c) => c.outcome === outcome)).toBe(true);
    }
    expect(Math.max(...m.invitations.values())).toBe(1);
    expect(endpoint.maxAccountsPerCall()).toBeLessThanOrEqual(50);
  }, 120_000);

  test('graph gone on delete is success', async () => {
    await setup();
    const stack = new Stack('Custom::DetectiveGraphMembers');
    await stack.create(dtProps(ids(2)));
    endpoint.model.graphExists = false;
    await expect(stack.delete()).resolves.toBeUndefined();
  });
});

describe('declarations at the services\' scale, as synthesized', () => {
  test('5,000 GuardDuty members (compressed properties): create, update +10% -10%, delete', async () => {
    await setup();
    const m = endpoint.model;
    const accounts = syntheticAccounts(5500);
    const first = synthesizeMembers('GuardDuty', accounts.slice(0, 5000), m.detectorId);
    const second = synthesizeMembers('GuardDuty', accounts.slice(500), m.detectorId);
    expect(first.properties).toHaveProperty('MembersCompressed');
    const stack = new Stack(first.resourceType);

    await stack.create(first.properties);
    expect(Object.keys(m.state('GuardDuty'))).toHaveLength(5000);
    expect(endpoint.count('CreateMembers')).toBe(100);
    endpoint.calls.length = 0;

    await stack.update(second.properties);
    expect(Object.keys(m.state('GuardDuty'))).toEqual(accounts.slice(500).map((a) => a.accountId));
    expect(endpoint.count('CreateMembers')).toBe(10);
    expect(endpoint.count('DisassociateMembers')).toBe(10);
    expect(endpoint.count('DeleteMembers')).toBe(10);

    await stack.delete();
    expect(m.state('GuardDuty')).toEqual({});
  }, 120_000);

  test('1,200 Detective members: create; at the quota, swap 10% as removal then addition; delete', async () => {
    await setup();
    const m = endpoint.model;
    const accounts = syntheticAccounts(1200 + 120, 7);
    const stack = new Stack('Custom::DetectiveGraphMembers');
    await stack.create(synthesizeMembers('Detective', accounts.slice(0, 1200)).properties);
    expect(Object.keys(m.state('Detective'))).toHaveLength(1200);
    // Additions run before removals, so a full graph cannot swap accounts in one deployment.
    await expect(stack.update(synthesizeMembers('Detective', accounts.slice(120)).properties)).rejects.toThrow(/over the service limit of 1200\. Nothing was changed/);
    await stack.update(synthesizeMembers('Detective', accounts.slice(120, 1200)).properties);
    await stack.update(synthesizeMembers('Detective', accounts.slice(120)).properties);
    expect(Object.keys(m.state('Detective')).sort()).toEqual(accounts.slice(120).map((a) => a.accountId));
    await stack.delete();
    expect(m.state('Detective')).toEqual({});
  }, 120_000);
});
