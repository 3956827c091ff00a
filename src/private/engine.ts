/**
 * Executes a plan against one service through the small {@link MemberApi} interface: additions
 * before removals, batches of at most 50 accounts a few at a time (`execution/batches.ts`), and no
 * new batch past the invocation's deadline. Reads live state the cheaper way. Service-neutral and
 * SDK-free.
 */
import { forEachBounded } from './bounded';
import {
  accountsPerCall, chunk, DEFAULT_CONCURRENCY, ExecuteOptions, Execution, MAX_ACCOUNTS_PER_CALL, MemberApi, ONE_ACCOUNT_CONCURRENCY,
} from './execution/api';
import { BatchRun } from './execution/batches';
import { awaitCreated } from './execution/each-account';
import { paced } from './execution/one-account';
import { LiveMember, Plan } from './planner';

export * from './execution/api';

/**
 * Runs a plan: additions (records to replace, creations with their invitations, invitations),
 * then, only if every addition succeeded, removals. `live` is the state the plan was made from.
 */
export async function execute(given: MemberApi, plan: Plan, live: ReadonlyMap<string, LiveMember>, options: ExecuteOptions): Promise<Execution> {
  // One account per call: every call of the run paced together (16 in flight, throttled calls sent again).
  const api = (given.perAccount?.length ?? 0) > 0 ? paced(given, { log: options.log, deadline: options.deadline }) : given;
  const run = new BatchRun(api, options);
  const liveIds = new Set(live.keys());
  run.summary.unchanged = plan.unchanged.length;
  run.summary.disabled = plan.unchanged.filter((id) => api.statuses.disabled.includes(live.get(id)?.status ?? '')).length;

  if (options.restoring) {
    await run.remove(plan.removals);
  }
  // Associations an earlier invocation started: awaited, never asked again.
  await awaitCreated(run, plan.awaiting);
  await run.disassociate(plan.additions.disassociate);
  await run.delete(plan.additions.delete);
  await run.create(plan.additions.create, liveIds);
  const invitedExisting = await run.invite(plan.additions.invite);
  run.summary.invited += invitedExisting;
  run.problems.push(...plan.blocked);

  // Removals only after every addition succeeded (or, ignoring failures, was at least attempted).
  const additionsFailed = run.problems.length > 0 && options.failOnUnprocessed;
  if (!options.restoring && !additionsFailed && !run.deferred) {
    await run.remove(plan.removals);
  }
  run.summary.unprocessed = new Set(run.problems.map((p) => p.accountId)).size;
  return { summary: run.summary, problems: run.problems, complete: !run.deferred, learned: run.learned, underWay: [...run.underWay] };
}

/** Reads in flight at once when reading members account by account. */
export const READ_CONCURRENCY = DEFAULT_CONCURRENCY;

/** The live state of `accountIds`, read with GetMembers in bounded parallel batches; non-members are absent. */
export async function readAccounts(api: MemberApi, accountIds: readonly string[], concurrency?: number): Promise<Map<string, LiveMember>> {
  const found = new Map<string, LiveMember>();
  const perCall = accountsPerCall(api, 'GetMembers');
  // One account per call: as many reads in flight as the service's calls may be.
  const inFlight = concurrency ?? (perCall === 1 ? ONE_ACCOUNT_CONCURRENCY : READ_CONCURRENCY);
  await forEachBounded(chunk([...new Set(accountIds)], perCall), inFlight, async (batch) => {
    for (const member of await api.getMembers(batch)) {
      found.set(member.accountId, member);
    }
  });
  return found;
}

/**
 * Round trips one after another that reading these accounts takes, listing every member
 * (`total` known) against reading the accounts in parallel batches of 50.
 */
export function readCosts(api: MemberApi, accounts: number, total: number): { list: number; get: number } {
  return {
    list: Math.max(1, Math.ceil(total / api.pageSize)),
    get: accountsPerCall(api, 'GetMembers') === 1
      ? Math.ceil(accounts / ONE_ACCOUNT_CONCURRENCY)
      : Math.ceil(Math.ceil(accounts / MAX_ACCOUNTS_PER_CALL) / READ_CONCURRENCY),
  };
}
