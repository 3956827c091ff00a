import { accountIds } from './fakes';
import { chunk, CreateResult, MemberApi, reconcile, UnprocessedAccount } from '../../src/private/engine';
import { Logger } from '../../src/private/logger';
import { LiveMember } from '../../src/private/planner';
import { MemberDeclaration } from '../../src/private/properties';
import { GUARDDUTY_STATUSES } from '../../src/private/services/guardduty/statuses';

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Records how many calls are in flight at once. */
class SlowApi implements MemberApi {
  readonly statuses = GUARDDUTY_STATUSES;
  inFlight = 0;
  peak = 0;
  readonly members = new Map<string, LiveMember>();

  private async step<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    return fn();
  }

  listMembers = () => this.step(() => [...this.members.values()]);
  getMembers = (ids: string[]) => this.step(() => ids.map((id) => this.members.get(id)!).filter(Boolean));
  createMembers = (ms: MemberDeclaration[]) => this.step((): CreateResult => {
    ms.forEach((m) => this.members.set(m.accountId, { accountId: m.accountId, email: m.email, status: 'Created' }));
    return { unprocessed: [], members: [] };
  });
  inviteMembers = (ids: string[]) => this.step((): UnprocessedAccount[] => {
    ids.forEach((id) => this.members.set(id, { ...this.members.get(id)!, status: 'Invited' }));
    return [];
  });
  disassociateMembers = () => this.step((): UnprocessedAccount[] => []);
  deleteMembers = () => this.step((): UnprocessedAccount[] => []);
}

test('chunks hold at most 50 and as many as possible', () => {
  expect(chunk(accountIds(101)).map((c) => c.length)).toEqual([50, 50, 1]);
  expect(chunk([])).toEqual([]);
});

test.each([1, 3, 5])('no more than %i batches are in flight at once', async (concurrency) => {
  const api = new SlowApi();
  const desired = accountIds(500).map((accountId) => ({ accountId, email: 'a@example.com' }));
  const summary = await reconcile(api, { desired, previous: [], undoOnFailure: true }, {
    invite: true, removal: 'DELETE', failOnUnprocessed: true, log: quiet, concurrency,
  });
  expect(summary).toMatchObject({ created: 500, invited: 500 });
  expect(api.peak).toBe(concurrency);
});
