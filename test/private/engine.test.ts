import { accountIds } from './fakes';
import { chunk, CreateResult, execute, MemberApi, readAccounts, readCosts, Slots, UnprocessedAccount } from '../../src/private/engine';
import { Logger } from '../../src/private/logger';
import { LiveMember, planMembers } from '../../src/private/planner';
import { MemberDeclaration } from '../../src/private/properties';
import { GUARDDUTY_STATUSES } from '../../src/private/services/guardduty/statuses';

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Records how many calls, and how many mutating calls, are in flight at once. */
class SlowApi implements MemberApi {
  readonly statuses = GUARDDUTY_STATUSES;
  readonly pageSize = 50;
  inFlight = 0;
  peak = 0;
  mutatingInFlight = 0;
  mutatingPeak = 0;
  readonly members = new Map<string, LiveMember>();
  /** What a call waits for; 5 ms unless a test holds the calls itself. */
  wait: (operation: string) => Promise<unknown> = () => new Promise((resolve) => setTimeout(resolve, 5));

  private async step<T>(operation: string, fn: () => T): Promise<T> {
    const mutating = !['ListMembers', 'GetMembers'].includes(operation);
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    if (mutating) {
      this.mutatingInFlight++;
      this.mutatingPeak = Math.max(this.mutatingPeak, this.mutatingInFlight);
    }
    await this.wait(operation);
    this.inFlight--;
    if (mutating) this.mutatingInFlight--;
    return fn();
  }

  listMembers = () => this.step('ListMembers', () => [...this.members.values()]);
  getMembers = (ids: string[]) => this.step('GetMembers', () => ids.map((id) => this.members.get(id)!).filter(Boolean));
  createMembers = (ms: MemberDeclaration[]) => this.step('CreateMembers', (): CreateResult => {
    ms.forEach((m) => this.members.set(m.accountId, { accountId: m.accountId, email: m.email, status: 'Created' }));
    return { unprocessed: [], members: [] };
  });
  inviteMembers = (ids: string[]) => this.step('InviteMembers', (): UnprocessedAccount[] => {
    ids.forEach((id) => this.members.set(id, { ...this.members.get(id)!, status: 'Invited' }));
    return [];
  });
  disassociateMembers = () => this.step('DisassociateMembers', (): UnprocessedAccount[] => []);
  deleteMembers = () => this.step('DeleteMembers', (): UnprocessedAccount[] => []);
}

test('chunks hold at most 50 and as many as possible', () => {
  expect(chunk(accountIds(101)).map((c) => c.length)).toEqual([50, 50, 1]);
  expect(chunk([])).toEqual([]);
});

test.each([1, 3, 5])('no more than %i mutating calls are in flight at once; the read-backs run beside them, at most as many', async (concurrency) => {
  const api = new SlowApi();
  const desired = accountIds(500).map((accountId) => ({ accountId, email: 'a@example.com' }));
  const plan = planMembers({ statuses: api.statuses, desired, previous: [], live: [], invite: true, removal: 'DELETE' });
  const { summary, complete } = await execute(api, plan, new Map(), {
    invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet, concurrency,
  });
  expect(summary).toMatchObject({ created: 500, invited: 500 });
  expect(complete).toBe(true);
  expect(api.mutatingPeak).toBe(concurrency);
  expect(api.peak).toBeGreaterThan(concurrency);
  expect(api.peak).toBeLessThanOrEqual(2 * concurrency);
});

/**
 * Runs `work` with every call of `api` held, answering them a round at a time: each round is
 * every call sent since the last (after `beforeAnswering`, for the first). Answers the rounds'
 * operations and the work's result.
 */
async function inRounds<T>(api: SlowApi, work: () => Promise<T>, beforeAnswering?: () => Promise<unknown>):
Promise<{ rounds: string[][]; result: T }> {
  const held: { operation: string; answer: () => void }[] = [];
  api.wait = (operation) => new Promise<void>((answer) => held.push({ operation, answer }));
  let finished = false;
  const running = work().finally(() => { finished = true; });
  const rounds: string[][] = [];
  for (let i = 0; i < 20 && !finished; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (i === 0) await beforeAnswering?.();
    const round = held.splice(0);
    if (round.length > 0) rounds.push(round.map((call) => call.operation));
    round.forEach((call) => call.answer());
  }
  return { rounds, result: await running };
}

test('a create\'s read-backs cost no round trips of their own: 20 batches at 10 slots take 4 rounds of calls, not 6', async () => {
  const api = new SlowApi();
  const desired = accountIds(1000).map((accountId) => ({ accountId, email: 'a@example.com' }));
  const plan = planMembers({ statuses: api.statuses, desired, previous: [], live: [], invite: true, removal: 'DELETE' });
  const { rounds } = await inRounds(api, () => execute(api, plan, new Map(), { invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet, concurrency: 10 }));
  const count = (round: string[], op: string) => round.filter((o) => o === op).length;
  expect(rounds.map((r) => ['CreateMembers', 'GetMembers', 'InviteMembers'].map((op) => count(r, op)))).toEqual([
    [10, 0, 0],
    [10, 10, 0],
    [0, 10, 10],
    [0, 0, 10],
  ]);
});

test('a call that waited for a slot past the deadline is not sent, but a created batch\'s invitation is; at one slot a batch is created, read back and invited in turn', async () => {
  const api = new SlowApi();
  const desired = accountIds(150).map((accountId) => ({ accountId, email: 'a@example.com' }));
  const plan = planMembers({ statuses: api.statuses, desired, previous: [], live: [], invite: true, removal: 'DELETE' });
  const options = { invite: true, removal: 'DELETE' as const, failOnUnprocessed: true, log: quiet, concurrency: 1 };

  // One slot: batch 1's create goes out, batches 2 and 3 wait; the deadline passes meanwhile.
  const deadline = Date.now() + 20;
  const pastDeadline = () => new Promise((resolve) => setTimeout(resolve, 30));
  const late = await inRounds(api, () => execute(api, plan, new Map(), { ...options, deadline }), pastDeadline);
  // Batch 1's create, its read-back and its invitation (no batch is left created but not
  // invited); batches 2 and 3 waited past the deadline and are not sent.
  expect(late.rounds.flat()).toEqual(['CreateMembers', 'GetMembers', 'InviteMembers']);
  expect(late.result.complete).toBe(false);
  expect([...api.members.values()].map((m) => m.status)).toEqual(Array(50).fill('Invited'));

  // Without a deadline: create 1, read 1, then invite 1 before creates 2 and 3.
  const fresh = new SlowApi();
  const { rounds } = await inRounds(fresh, () => execute(fresh, plan, new Map(), options));
  expect(rounds.map((round) => [...round].sort())).toEqual([
    ['CreateMembers'],
    ['CreateMembers', 'GetMembers'],
    ['GetMembers', 'InviteMembers'],
    ['InviteMembers'],
    ['CreateMembers'],
    ['GetMembers'],
    ['InviteMembers'],
  ]);
});

test('past the deadline no new batch starts: the execution is incomplete, not failed', async () => {
  const api = new SlowApi();
  const desired = accountIds(500).map((accountId) => ({ accountId, email: 'a@example.com' }));
  const plan = planMembers({ statuses: api.statuses, desired, previous: [], live: [], invite: true, removal: 'DELETE' });
  const result = await execute(api, plan, new Map(), {
    invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet, concurrency: 2, deadline: Date.now() + 30,
  });
  expect(result.complete).toBe(false);
  expect(result.problems).toEqual([]);
  expect(api.members.size).toBeGreaterThan(0);
  expect(api.members.size).toBeLessThan(500);
});

test('reads accounts in parallel batches of 50, non-members absent; the cheaper read is chosen by round trips', async () => {
  const api = new SlowApi();
  accountIds(120).forEach((accountId) => api.members.set(accountId, { accountId, status: 'Enabled' }));
  const read = await readAccounts(api, [...accountIds(120), '999999999999']);
  expect(read.size).toBe(120);
  expect(api.peak).toBeGreaterThan(1);
  // 5,500 accounts of a 5,000-member detector: 11 rounds of 10 parallel reads against 100 pages.
  expect(readCosts(api, 5500, 5000)).toEqual({ list: 100, get: 11 });
  // A near-empty detector lists in one page.
  expect(readCosts(api, 5000, 10)).toEqual({ list: 1, get: 10 });
});

test('a service that keeps disassociated members\' records: a refused DeleteMembers of a disassociated member counts as removed', async () => {
  const api = new SlowApi();
  const statuses = { ...GUARDDUTY_STATUSES, keepsDisassociated: true };
  const keeper: MemberApi = Object.assign(Object.create(api), {
    statuses,
    disassociateMembers: async (ids: string[]) => {
      ids.forEach((id) => api.members.set(id, { accountId: id, status: 'Removed' }));
      return [];
    },
    deleteMembers: async (ids: string[]) => ids.map((accountId) => ({ accountId, reason: 'organization member accounts cannot be deleted' })),
  });
  accountIds(2).forEach((accountId) => api.members.set(accountId, { accountId, status: 'Enabled' }));
  const plan = planMembers({ statuses, desired: [], previous: accountIds(2), live: [...api.members.values()], invite: true, removal: 'DELETE' });
  const result = await execute(keeper, plan, new Map(api.members), { invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet });
  expect(result.problems).toEqual([]);
  expect(result.summary.removed).toBe(2);
  // Without the flag, the same refusal is a failure.
  const strict = await execute(Object.assign(Object.create(keeper), { statuses: GUARDDUTY_STATUSES }), plan, new Map(api.members), {
    invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet,
  });
  expect(strict.problems.map((p) => p.operation)).toEqual(['DeleteMembers', 'DeleteMembers']);
});

test('slots: at most the limit are held; a release serves urgent waiters first, each kind in the order it asked', async () => {
  const slots = new Slots(1);
  const served: string[] = [];
  await slots.acquire();
  const waiters = [
    slots.acquire().then(() => served.push('create 2')),
    slots.acquire(true).then(() => served.push('invite 1')),
    slots.acquire().then(() => served.push('create 3')),
    slots.acquire(true).then(() => served.push('invite 2')),
  ];
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    expect(served).toHaveLength(i);
    slots.release();
  }
  await Promise.all(waiters);
  expect(served).toEqual(['invite 1', 'invite 2', 'create 2', 'create 3']);
  // The last holder's release frees the slot: the next acquire is served at once.
  slots.release();
  await expect(Promise.race([slots.acquire().then(() => 'served'), new Promise((resolve) => setImmediate(() => resolve('waiting')))])).resolves.toBe('served');
});
