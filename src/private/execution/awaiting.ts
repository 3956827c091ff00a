/**
 * Reading many accounts the cheaper way, and awaiting asynchronous changes: where a successful
 * call only starts a change (Inspector's association), the accounts are read again, at growing
 * intervals, until each reaches a final state or the invocation's time is up (the next
 * invocation awaits the rest). Service-neutral and SDK-free.
 */
import { accountsPerCall, chunk, describeError, MemberApi, ONE_ACCOUNT_CONCURRENCY, READ_BATCH_CONCURRENCY } from './api';
import { forEachBounded } from '../bounded';
import { Logger } from '../logger';
import { LiveMember } from '../planner';

/** The first pause before reading an asynchronous change again, doubling up to the cap. */
export const POLL_FIRST_DELAY_MS = 500;
export const POLL_MAX_DELAY_MS = 10_000;

/**
 * The live state of `accountIds` in the fewest calls: GetMembers per account or batch, or every
 * member page by page when the target holds few enough (`memberCount`, when known). Absent:
 * not a member.
 */
export async function readCheaply(api: MemberApi, accountIds: readonly string[], memberCount?: number): Promise<Map<string, LiveMember>> {
  const perCall = accountsPerCall(api, 'GetMembers');
  const getCalls = Math.ceil(accountIds.length / perCall);
  const listCalls = memberCount === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(memberCount / api.pageSize));
  const found = new Map<string, LiveMember>();
  if (listCalls < getCalls) {
    const wanted = new Set(accountIds);
    for (const member of await api.listMembers()) {
      if (wanted.has(member.accountId)) found.set(member.accountId, member);
    }
    return found;
  }
  const inFlight = perCall === 1 ? ONE_ACCOUNT_CONCURRENCY : READ_BATCH_CONCURRENCY;
  await forEachBounded(chunk([...new Set(accountIds)], perCall), inFlight, async (batch) => {
    for (const member of await api.getMembers(batch)) found.set(member.accountId, member);
  });
  return found;
}

export interface AwaitOptions {
  readonly log: Logger;
  /** Epoch ms: no new read round starts past it. */
  readonly deadline?: number;
  readonly memberCount?: number;
  /** What the accounts are awaited for, for the log (`AssociateMember`). */
  readonly operation: string;
}

export interface Awaited {
  /** Accounts in a final state, as last read (undefined: not a member). */
  readonly final: Map<string, LiveMember | undefined>;
  /** Accounts still under way when time was up. */
  readonly pending: string[];
  /** Set when the reads themselves failed: the accounts stay pending. */
  readonly error?: string;
}

/**
 * Reads `accountIds` until `final` holds for each, or the deadline. Every round reads once;
 * the first round goes out even past the deadline, so each invocation learns something.
 */
export async function awaitFinal(api: MemberApi, accountIds: readonly string[], final: (member: LiveMember | undefined) => boolean,
  options: AwaitOptions): Promise<Awaited> {
  const done = new Map<string, LiveMember | undefined>();
  let pending = [...accountIds];
  let delay = POLL_FIRST_DELAY_MS;
  for (let round = 0; pending.length > 0; round++) {
    let read: Map<string, LiveMember>;
    try {
      read = await readCheaply(api, pending, options.memberCount);
    } catch (err) {
      const error = describeError(err);
      options.log.warn(`${options.operation}: reading the accounts under way failed`, { accounts: pending, error });
      return { final: done, pending, error };
    }
    const still = pending.filter((id) => {
      if (!final(read.get(id))) return true;
      done.set(id, read.get(id));
      return false;
    });
    pending = still;
    if (pending.length === 0 || (options.deadline !== undefined && Date.now() + delay > options.deadline)) break;
    options.log.info(`${options.operation}: under way, reading again`, { accounts: pending.length, round, delayMs: delay });
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(POLL_MAX_DELAY_MS, delay * 2);
  }
  return { final: done, pending };
}
