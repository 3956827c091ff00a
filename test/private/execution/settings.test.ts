/**
 * applySettings, the engine's per-account settings work, against a small in-memory service:
 * the fewest calls (reads of 50, one write per 50 accounts needing the same change), the
 * journal before the first write, the read-back, pending and "not yet" accounts, the deadline,
 * and refusals attributed to their accounts however the service words them.
 */
import { AccountSettings, DEFAULT_CONCURRENCY, SettingsApi, UnprocessedAccount } from '../../../src/private/execution/api';
import { applySettings, readAttributed, SettingsInput } from '../../../src/private/execution/settings';
import { Logger } from '../../../src/private/logger';
import { LiveMember } from '../../../src/private/planner';
import { GUARDDUTY_STATUSES } from '../../../src/private/services/guardduty/statuses';

const NOT_ASSOCIATED = 'not an associated member';

class FakeSettings implements SettingsApi {
  readonly noun = 'protection plan';
  readonly readOperation = 'GetMemberDetectors';
  readonly writeOperation = 'UpdateMemberDetectors';
  readonly state = new Map<string, Record<string, string>>();
  readonly calls: { operation: string; accounts: string[]; change?: AccountSettings }[] = [];
  /** Accounts refused with this reason, listed unprocessed, or failing the whole call when `wholeCall`. */
  readonly refused = new Map<string, string>();
  wholeCall = false;
  /** Accounts whose writes are accepted but do not stick (the read-back tells). */
  readonly ignoresWrites = new Set<string>();
  /** Answers "not yet" to this many calls per account. */
  readonly notYetCalls = new Map<string, number>();
  /** A whole-call error that is no account's (e.g. AccessDeniedException). */
  error?: Error;

  settable(member: LiveMember): boolean {
    return member.status === 'Enabled';
  }

  notYet(reason: string): boolean {
    return reason.includes(NOT_ASSOCIATED);
  }

  refusedPerAccount(reason: string): boolean {
    return reason.startsWith('BadRequestException');
  }

  private refusals(accountIds: string[]): UnprocessedAccount[] {
    const out: UnprocessedAccount[] = [];
    for (const id of accountIds) {
      const left = this.notYetCalls.get(id) ?? 0;
      if (left > 0) {
        this.notYetCalls.set(id, left - 1);
        out.push({ accountId: id, reason: NOT_ASSOCIATED });
      } else if (this.refused.has(id)) {
        out.push({ accountId: id, reason: this.refused.get(id)! });
      }
    }
    if (this.error) throw this.error;
    if (this.wholeCall && out.length > 0) {
      throw Object.assign(new Error(out[0].reason), { name: 'BadRequestException' });
    }
    return out;
  }

  async read(accountIds: string[]) {
    this.calls.push({ operation: 'read', accounts: accountIds });
    const unprocessed = this.refusals(accountIds);
    const skip = new Set(unprocessed.map((u) => u.accountId));
    const settings = new Map(accountIds.filter((id) => !skip.has(id)).map((id) => [id, { ...this.state.get(id) }]));
    return { settings, unprocessed };
  }

  async write(accountIds: string[], change: AccountSettings) {
    this.calls.push({ operation: 'write', accounts: accountIds, change });
    const unprocessed = this.refusals(accountIds);
    const skip = new Set(unprocessed.map((u) => u.accountId));
    for (const id of accountIds.filter((a) => !skip.has(a) && !this.ignoresWrites.has(a))) {
      this.state.set(id, { ...this.state.get(id), ...change });
    }
    return unprocessed;
  }

  count(operation: string): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ids = (n: number, base = 100000000000) => Array.from({ length: n }, (_, i) => String(base + i));
const DECLARED = { S3_DATA_EVENTS: 'ENABLED', RDS_LOGIN_EVENTS: 'DISABLED' };

function setup(accounts: string[], overrides: Partial<SettingsInput> = {}) {
  const api = new FakeSettings();
  accounts.forEach((id) => api.state.set(id, { S3_DATA_EVENTS: 'ENABLED', RDS_LOGIN_EVENTS: 'ENABLED', LAMBDA_NETWORK_LOGS: 'ENABLED' }));
  const journaled: Map<string, AccountSettings>[] = [];
  const input: SettingsInput = {
    api,
    statuses: GUARDDUTY_STATUSES,
    declared: DECLARED,
    accounts,
    live: new Map(accounts.map((id) => [id, { accountId: id, status: 'Enabled' }])),
    created: new Set(),
    log: silent,
    patienceMs: 0,
    journal: async (prior) => {
      journaled.push(new Map(prior));
      // No account is written before its prior state is journaled.
      expect(api.calls.filter((c) => c.operation === 'write' && c.accounts.some((id) => prior.has(id)))).toEqual([]);
    },
    ...overrides,
  };
  return { api, input, journaled };
}

test('reads in 50s, writes one call per 50 accounts needing the same change, journals first, reads the written back', async () => {
  const accounts = ids(120);
  const { api, input, journaled } = setup(accounts);
  accounts.slice(0, 30).forEach((id) => api.state.set(id, { S3_DATA_EVENTS: 'DISABLED', RDS_LOGIN_EVENTS: 'ENABLED', LAMBDA_NETWORK_LOGS: 'ENABLED' }));
  const outcome = await applySettings(input);
  expect(outcome).toEqual({ changed: 120, pending: [], problems: [], complete: true });
  // 3 reads of the 120, then two groups: 30 (S3 and RDS) in one call, 90 (RDS only) in two; three read-backs.
  expect(api.calls.filter((c) => c.operation === 'write').map((c) => [c.accounts.length, Object.keys(c.change!).sort().join()]))
    .toEqual([[30, 'RDS_LOGIN_EVENTS,S3_DATA_EVENTS'], [50, 'RDS_LOGIN_EVENTS'], [40, 'RDS_LOGIN_EVENTS']]);
  expect(api.count('read')).toBe(3 + 3);
  expect(journaled).toHaveLength(1);
  expect(journaled[0].get(accounts[0])).toEqual({ S3_DATA_EVENTS: 'DISABLED', RDS_LOGIN_EVENTS: 'ENABLED' });
  expect(journaled[0].get(accounts[50])).toEqual({ RDS_LOGIN_EVENTS: 'ENABLED' });
  // A setting not declared is never written.
  expect(api.state.get(accounts[0])!.LAMBDA_NETWORK_LOGS).toBe('ENABLED');
});

test('nothing to change: reads only, no journal', async () => {
  const accounts = ids(3);
  const { api, input, journaled } = setup(accounts);
  accounts.forEach((id) => api.state.set(id, { ...DECLARED }));
  expect(await applySettings(input)).toEqual({ changed: 0, pending: [], problems: [], complete: true });
  expect(api.count('write')).toBe(0);
  expect(journaled).toEqual([]);
});

test('members that cannot take settings are pending without a call; created ones are read', async () => {
  const accounts = ids(3);
  const { api, input } = setup(accounts, {
    live: new Map([[ids(3)[0], { accountId: ids(3)[0], status: 'Invited' }]]),
    created: new Set([ids(3)[1]]),
  });
  const outcome = await applySettings(input);
  expect(outcome.pending.sort()).toEqual([accounts[0], accounts[2]]);
  expect(outcome.changed).toBe(1);
  expect(api.calls.every((c) => c.accounts.length === 1 && c.accounts[0] === accounts[1])).toBe(true);
});

test('"not yet" accounts are tried again within the patience, then pending', async () => {
  const accounts = ids(2);
  const { api, input } = setup(accounts, { patienceMs: 30_000 });
  api.notYetCalls.set(accounts[0], 1);
  expect(await applySettings(input)).toMatchObject({ changed: 2, pending: [], problems: [] });

  const late = setup(accounts, { patienceMs: 0 });
  late.api.notYetCalls.set(accounts[0], 5);
  expect(await applySettings(late.input)).toMatchObject({ changed: 1, pending: [accounts[0]], problems: [] });
});

test('a refusal and a write that does not stick fail naming the account, the operation and the settings', async () => {
  const accounts = ids(3);
  const { api, input } = setup(accounts);
  api.refused.set(accounts[0], 'RDS_LOGIN_EVENTS is managed by an AWS Organizations GuardDuty policy');
  api.ignoresWrites.add(accounts[1]);
  const outcome = await applySettings(input);
  expect(outcome.changed).toBe(1);
  expect(outcome.problems).toEqual([
    { operation: 'GetMemberDetectors', accountId: accounts[0], reason: 'RDS_LOGIN_EVENTS is managed by an AWS Organizations GuardDuty policy' },
    { operation: 'UpdateMemberDetectors', accountId: accounts[1], reason: 'protection plan RDS_LOGIN_EVENTS: still not as declared after UpdateMemberDetectors (RDS_LOGIN_EVENTS is ENABLED)' },
  ]);
});

test('a whole call refused for one account\'s reason is split until the refusal has its account; the others are set', async () => {
  const accounts = ids(50);
  const { api, input } = setup(accounts);
  api.wholeCall = true;
  api.refused.set(accounts[37], 'protection plan RDS_LOGIN_EVENTS is managed by a policy');
  const outcome = await applySettings(input);
  expect(outcome.changed).toBe(49);
  expect(outcome.problems).toEqual([expect.objectContaining({
    accountId: accounts[37],
    operation: 'GetMemberDetectors',
    reason: 'BadRequestException: protection plan RDS_LOGIN_EVENTS is managed by a policy',
  })]);
  // One refused of 50: the read splits 1 + 2 per level down to the one account (11 calls), not 50.
  expect(api.count('read')).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(50)) + 1 + 2);
});

test('a whole call refused as "not yet" is split, and the account is tried again', async () => {
  const accounts = ids(8);
  const { api, input } = setup(accounts, { patienceMs: 30_000 });
  api.wholeCall = true;
  api.refused.set('nobody', '');
  api.notYetCalls.set(accounts[5], 1);
  expect(await applySettings(input)).toMatchObject({ changed: 8, pending: [], problems: [] });
});

test('an error that is no account\'s (access denied) refuses the batch once, without splitting', async () => {
  const accounts = ids(50);
  const { api } = setup(accounts);
  api.error = Object.assign(new Error('not authorized to perform guardduty:GetMemberDetectors'), { name: 'AccessDeniedException' });
  const read = await readAttributed(api, accounts);
  expect(api.count('read')).toBe(1);
  expect(read.unprocessed).toHaveLength(50);
  expect(read.unprocessed[0].reason).toBe('AccessDeniedException: not authorized to perform guardduty:GetMemberDetectors');
});

test('past the deadline, the writes already started finish and no new one starts: the rest is left for the next invocation', async () => {
  // 20 batches of one change, DEFAULT_CONCURRENCY at a time: those start together; the rest would start after the deadline.
  const accounts = ids(1000);
  const { api, input } = setup(accounts, { deadline: Date.now() - 1 });
  const outcome = await applySettings(input);
  expect(outcome.complete).toBe(false);
  expect(api.count('write')).toBe(DEFAULT_CONCURRENCY);
  expect(outcome.changed).toBe(DEFAULT_CONCURRENCY * 50);
});
