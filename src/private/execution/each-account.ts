/**
 * Additions and removals where the service takes one account per call: every account's own
 * call (at most 16 in flight, its error that account's problem, as an unprocessed account's
 * reason is), then the accounts read back together in the fewest calls, invitations in
 * batches of 50, and asynchronous changes awaited until each account reaches a final state.
 * Service-neutral and SDK-free.
 */
import { chunk, describeError, MemberOperation } from './api';
import { awaitFinal, readCheaply } from './awaiting';
import type { BatchRun } from './batches';
import { forEachBounded } from '../bounded';
import { LiveMember, operationName } from '../planner';
import { MemberDeclaration } from '../properties';

/** Members the target holds once `added` more joined, when the run knows the count. */
function countAfter(run: BatchRun, added: number): number | undefined {
  return run.options.memberCount === undefined ? undefined : run.options.memberCount + added;
}

/**
 * Awaits accounts whose association was started (by this run, or by an invocation before it):
 * a final state is success, unless it is one of the service's failed states.
 */
export async function awaitCreated(run: BatchRun, accountIds: readonly string[]): Promise<void> {
  if (accountIds.length === 0) return;
  const { statuses } = run;
  const inProgress = statuses.inProgress ?? [];
  const operation = operationName(statuses, 'CreateMembers');
  const outcome = await awaitFinal(run.api, accountIds, (m) => m === undefined || !inProgress.includes(m.status), {
    log: run.options.log, deadline: run.options.deadline, memberCount: countAfter(run, accountIds.length), operation,
  });
  for (const [accountId, member] of outcome.final) {
    const failedState = member && statuses.failedStates?.[member.status];
    if (!member) {
      run.fail('CreateMembers', [{ accountId, reason: `${operation} started, but the account is no member now: the association did not hold` }]);
    } else if (failedState !== undefined) {
      run.fail('CreateMembers', [{ accountId, reason: `the association ended in ${member.status}: ${failedState}` }]);
    } else {
      run.learned.set(accountId, member);
      run.checkCreated([accountId], outcome.final as Map<string, LiveMember>);
    }
  }
  settlePending(run, 'GetMembers', outcome.pending, outcome.error);
}

/** Accounts still under way: the next invocation awaits them; unreadable ones are problems. */
function settlePending(run: BatchRun, operation: string, pending: readonly string[], error: string | undefined): void {
  if (pending.length === 0) return;
  if (error !== undefined) {
    run.fail(operation, pending.map((accountId) => ({ accountId, reason: error })));
  } else {
    run.options.log.info(`${operationName(run.statuses, operation)}: still under way, the next invocation awaits them`, { accounts: pending });
    run.deferred = true;
  }
}

/** Awaits a started removal (`operation`) until each account is out; answers those not out yet or unreadable. */
export async function awaitChanged(run: BatchRun, operation: MemberOperation, accountIds: readonly string[]): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set();
  const outcome = await awaitFinal(run.api, accountIds, (m) => run.reached(operation, m), {
    log: run.options.log, deadline: run.options.deadline, memberCount: run.options.memberCount, operation: operationName(run.statuses, operation),
  });
  settlePending(run, 'GetMembers', outcome.pending, outcome.error);
  if (outcome.error === undefined) outcome.pending.forEach((id) => run.underWay.add(id));
  return new Set(outcome.pending);
}

/** One call per account; answers the accounts created (or found already in place). */
async function createCalls(run: BatchRun, members: readonly MemberDeclaration[], known: Map<string, LiveMember>): Promise<string[]> {
  const created: string[] = [];
  await forEachBounded(members, run.concurrency, async (member) => {
    const failed = await run.call('CreateMembers', [member.accountId], async () => (await run.api.createMembers([member])).unprocessed, known);
    if (!failed.has(member.accountId)) created.push(member.accountId);
  });
  return created;
}

/** The created accounts' state, read together; never invite blind (an unread account may be an organization account). */
async function readBack(run: BatchRun, created: readonly string[], known: Map<string, LiveMember>): Promise<void> {
  const unread = created.filter((id) => !known.has(id) && !run.options.organizationAccounts?.has(id));
  if (unread.length === 0) return;
  try {
    (await readCheaply(run.api, unread, countAfter(run, created.length))).forEach((member, id) => known.set(id, member));
  } catch (err) {
    const reason = describeError(err);
    run.fail('GetMembers', unread.map((accountId) => ({ accountId, reason })));
  }
}

/**
 * Creates each account with its own call, then (synchronous services) reads the created ones
 * back together, fails those in a failed state and invites those left invitable in batches of
 * 50, or (asynchronous services) awaits each association's end.
 */
export async function createEach(run: BatchRun, members: readonly MemberDeclaration[], previouslyLive: ReadonlySet<string>): Promise<void> {
  const known = new Map<string, LiveMember>();
  const created = await createCalls(run, members, known);
  run.summary.created += created.filter((id) => !previouslyLive.has(id)).length;
  if (run.api.asynchronous) {
    await awaitCreated(run, created);
    return;
  }
  // Read back to invite, or to tell the service's failed states (Macie: a region disabled in the member).
  if (!run.invitesAfterCreate && Object.keys(run.statuses.failedStates ?? {}).length === 0) return;
  await readBack(run, created, known);
  run.checkCreated(created, known);
  created.forEach((id) => known.has(id) && run.learned.set(id, known.get(id)!));
  if (!run.invitesAfterCreate) return;
  const invitable = [...run.statuses.invitable, ...run.statuses.recreatable];
  const toInvite = created.filter((id) => known.has(id) && invitable.includes(known.get(id)!.status)
    && (run.options.inviteAfterCreate?.has(id) ?? true));
  const invited: string[] = [];
  await forEachBounded(chunk(toInvite), run.concurrency, async (batch) => {
    const count = await run.inviteBatch(batch, true);
    run.summary.invited += count;
    batch.forEach((id) => run.learned.set(id, { ...known.get(id)!, status: 'Invited' }));
    invited.push(...batch);
  });
  await checkVerification(run, invited);
}

/**
 * The invited accounts read back once (in the fewest calls): an invitation to an address that
 * is not the account's root email fails verification, a failure named now rather than at the
 * next deployment. Only for services that verify.
 */
async function checkVerification(run: BatchRun, invited: readonly string[]): Promise<void> {
  const failedStates = run.statuses.verificationFailed;
  if (invited.length === 0 || failedStates.length === 0) return;
  let read: Map<string, LiveMember>;
  try {
    read = await readCheaply(run.api, invited, countAfter(run, 0));
  } catch (err) {
    run.options.log.warn('reading the invited accounts back failed: a failed email verification shows at the next deployment', { error: describeError(err) });
    return;
  }
  for (const [id, member] of read) {
    run.learned.set(id, member);
    if (failedStates.includes(member.status)) {
      run.fail('InviteMembers', [{ accountId: id, reason: `email verification failed (${member.status}): the declared email is not the account's root email` }]);
    }
  }
}
