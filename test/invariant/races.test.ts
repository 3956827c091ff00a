/**
 * Two runs on one target at once, with the order in which their calls reach AWS (Parameter Store,
 * CloudFormation, GuardDuty, Organizations) chosen by fast-check's scheduler: two stacks'
 * deployments, and a deployment beside a sync. Whatever the order, the lock serializes them and
 * each reads claims only once it holds the lock: in every explored order the invariants hold.
 * CI explores a bounded number of orders (the seed is printed; `npm run fuzz` explores more).
 */
import * as fc from 'fast-check';
import { route } from '../../src/private/reconcile.lambda';
import { ClientFactory } from '../../src/private/services/member-service';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
jest.setTimeout(Math.max(5 * 60_000, RUNS * 15_000));

const CONTEXT = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:999999999999:function:handler', getRemainingTimeInMillis: () => 14 * 60_000 };
const [X, Y, Z, W] = ['400000000001', '400000000002', '400000000003', '400000000004'];
let endpoint: Endpoint;
let requests = 0;

beforeEach(async () => {
  for (const level of ['log', 'info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

/** SDK clients at the local endpoint whose calls are sent only when the scheduler (if any) says so. */
function scheduledClients(s: fc.Scheduler | undefined, label: string): ClientFactory {
  const clients = new Map<unknown, unknown>();
  const config = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 3 };
  return (cls) => {
    if (!clients.has(cls)) {
      const client = new cls(config) as { send: (command: { constructor: { name: string } }) => Promise<unknown> };
      const send = client.send.bind(client);
      client.send = async (command) => {
        await s?.schedule(Promise.resolve(`${label} ${command.constructor.name}`));
        return send(command);
      };
      clients.set(cls, client);
    }
    return clients.get(cls) as InstanceType<typeof cls>;
  };
}

function properties(members: string[], extra: Record<string, unknown> = {}) {
  return {
    ServiceToken: 'token',
    Service: 'GuardDuty',
    DetectorId: endpoint.model.detectorId,
    Schema: '2',
    MaxRemovals: '100',
    Members: members.map((id) => `${id}:root+${id}@example.com`),
    ...extra,
  };
}

function event(requestType: 'Create' | 'Update', stackId: string, logicalId: string, props: object, old?: object) {
  return {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: 'https://example.invalid',
    StackId: stackId,
    RequestId: `race-${++requests}`,
    LogicalResourceId: logicalId,
    ResourceType: 'Custom::GuardDutyMembers',
    ResourceProperties: props,
    ...(old ? { OldResourceProperties: old, PhysicalResourceId: endpoint.model.detectorId } : {}),
  };
}

/** The Provider framework: onEvent, then isComplete until complete, each pause scheduled too. */
async function framework(s: fc.Scheduler | undefined, label: string, e: object): Promise<void> {
  const clients = scheduledClients(s, label);
  const started = await route(e as never, CONTEXT, clients) as object;
  for (let calls = 0; calls < 400; calls++) {
    const slice = await route({ ...e, ...started } as never, CONTEXT, clients) as { IsComplete: boolean };
    if (slice.IsComplete) return;
    await s?.schedule(Promise.resolve(`${label} waits`));
  }
  throw new Error(`${label}: not complete after 400 calls`);
}

const members = () => endpoint.model.guardDuty;
const lockLeft = () => [...endpoint.ssm.parameters.keys()].some((n) => n.endsWith('/lock') || n.includes('/lock-takeover/'));

/** A stack deployed beforehand, through the same handler without a scheduler. */
async function deployed(stackName: string, logicalId: string, props: object): Promise<string> {
  const stackId = endpoint.cloudFormation.createStack(stackName, 'CREATE_IN_PROGRESS');
  await framework(undefined, stackName, event('Create', stackId, logicalId, props));
  endpoint.cloudFormation.setStatus(stackId, 'CREATE_COMPLETE');
  return stackId;
}

async function explore(scenario: (s: fc.Scheduler) => Promise<void>): Promise<void> {
  process.stdout.write(`ownership invariant races: seed ${SEED}, ${RUNS} orders\n`);
  await fc.assert(fc.asyncProperty(fc.scheduler(), async (s) => {
    endpoint = await startEndpoint();
    try {
      await scenario(s);
    } finally {
      await endpoint.stop();
    }
  }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
}

test('two stacks at once: one drops an account the other adopts; it stays, whatever the order of their calls', async () => {
  await explore(async (s) => {
    const one = await deployed('One', 'A', properties([X, Y]));
    const two = endpoint.cloudFormation.createStack('Two', 'CREATE_IN_PROGRESS');
    endpoint.cloudFormation.setStatus(one, 'UPDATE_IN_PROGRESS');
    const update = framework(s, 'One', event('Update', one, 'A', properties([Y]), properties([X, Y])));
    const create = framework(s, 'Two', event('Create', two, 'B', properties([X, Z])));
    await s.waitFor(Promise.all([update, create]));
    expect([...members().keys()].sort()).toEqual([X, Y, Z]);
    expect(lockLeft()).toBe(false);
  });
});

test('a deployment beside a sync: the sync removes nothing the deployment now declares, and adds what the OU holds', async () => {
  await explore(async (s) => {
    const org = endpoint.organizations;
    const unit = org.addOrganizationalUnit('Workloads');
    for (const id of [X, Y]) {
      org.addAccount(id, { parentId: unit });
      endpoint.model.organization.add(id);
    }
    const one = await deployed('One', 'A', properties([], { OrganizationalUnits: [unit] }));
    // X leaves the OU, W joins it; stack Two declares X.
    org.moveAccount(X, org.rootId);
    org.addAccount(W, { parentId: unit });
    endpoint.model.organization.add(W);
    const two = endpoint.cloudFormation.createStack('Two', 'CREATE_IN_PROGRESS');
    const sync = (async () => {
      await s.schedule(Promise.resolve('sync starts'));
      const clients = scheduledClients(s, 'sync');
      await route({ CdkSecurityMembersSync: { Service: 'GuardDuty', Target: endpoint.model.detectorId, StackId: one, LogicalId: 'A' } } as never, CONTEXT, clients);
    })();
    const create = framework(s, 'Two', event('Create', two, 'B', properties([X])));
    await s.waitFor(Promise.all([sync, create]));
    // X is held by Two whichever ran first; W joined if the sync ran (it may have skipped on the lock).
    expect(members().has(X)).toBe(true);
    expect(members().has(Y)).toBe(true);
    expect(lockLeft()).toBe(false);
  });
});

test('two executions of one request (the Provider framework may start one twice): one run, the other finds it done', async () => {
  await explore(async (s) => {
    const stackId = endpoint.cloudFormation.createStack('One', 'CREATE_IN_PROGRESS');
    const e = event('Create', stackId, 'A', properties([X, Y, Z]));
    await s.waitFor(Promise.all([framework(s, 'first', e), framework(s, 'second', e)]));
    expect([...members().keys()].sort()).toEqual([X, Y, Z]);
    expect(Math.max(...endpoint.model.invitations.values())).toBe(1);
    expect(lockLeft()).toBe(false);
  });
});
