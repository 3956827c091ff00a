/**
 * Executes a plan against one service through the small {@link MemberApi} interface: batches of
 * at most 50 accounts, a few batches at a time, every unprocessed account checked against live
 * state, additions before removals, and a failed create undone. Service-neutral and SDK-free.
 */
import { Logger } from './logger';
import { AccountProblem, LiveMember, MemberStatusModel, Plan, planDeletion, planMembers, RemovalMode } from './planner';
import { MemberDeclaration } from './properties';
import { formatFailureReason, redactEmails } from './report';

/** Every member API takes at most this many accounts per call. */
export const MAX_ACCOUNTS_PER_CALL = 50;
/** Batches in flight at once: fast without provoking throttling storms. */
export const DEFAULT_CONCURRENCY = 5;

export interface UnprocessedAccount {
  readonly accountId: string;
  readonly reason: string;
}

/** What CreateMembers answered. */
export interface CreateResult {
  readonly unprocessed: UnprocessedAccount[];
  /**
   * Members the answer reports with their state (Detective): processed does not mean it ended
   * well (a failed email verification, an organization account accepted but disabled).
   */
  readonly members: LiveMember[];
}

/** One service's member operations; each call takes at most 50 accounts. */
export interface MemberApi {
  readonly statuses: MemberStatusModel;
  listMembers(): Promise<LiveMember[]>;
  getMembers(accountIds: string[]): Promise<LiveMember[]>;
  createMembers(members: MemberDeclaration[]): Promise<CreateResult>;
  inviteMembers(accountIds: string[]): Promise<UnprocessedAccount[]>;
  disassociateMembers(accountIds: string[]): Promise<UnprocessedAccount[]>;
  deleteMembers(accountIds: string[]): Promise<UnprocessedAccount[]>;
}

export type MemberOperation = 'CreateMembers' | 'InviteMembers' | 'DisassociateMembers' | 'DeleteMembers';

export interface ReconcileOptions {
  readonly invite: boolean;
  readonly removal: RemovalMode;
  readonly failOnUnprocessed: boolean;
  readonly log: Logger;
  readonly concurrency?: number;
  /** Epoch milliseconds after which no new batch starts. */
  readonly deadline?: number;
  /** The request whose log entries hold the full detail, named in failure reasons. */
  readonly requestId?: string;
}

/** Counts only: the resource's attributes never carry account lists or emails. */
export interface ReconcileSummary {
  created: number;
  invited: number;
  removed: number;
  unchanged: number;
  unprocessed: number;
  /** Declared members that accepted but do not contribute (e.g. Detective ACCEPTED_BUT_DISABLED). */
  disabled: number;
}

export function emptySummary(): ReconcileSummary {
  return { created: 0, invited: 0, removed: 0, unchanged: 0, unprocessed: 0, disabled: 0 };
}

/** A deployment failure whose message is the CloudFormation reason. */
export class ReconcileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReconcileError';
    // The Provider framework appends the stack trace to the reason: keep it to one line.
    this.stack = `${this.name}: ${message}`;
  }
}

export function chunk<T>(items: readonly T[], size = MAX_ACCOUNTS_PER_CALL): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    batches.push(items.slice(i, i + size));
  }
  return batches;
}

async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return redactEmails(`${err.name}: ${err.message}`);
  }
  return redactEmails(String(err));
}

class Run {
  readonly problems: AccountProblem[] = [];
  readonly summary: ReconcileSummary = emptySummary();
  private readonly concurrency: number;

  constructor(private readonly api: MemberApi, private readonly options: ReconcileOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  }

  private get statuses() {
    return this.api.statuses;
  }

  /** Whether an account ended where the operation was meant to put it. */
  private reached(operation: MemberOperation, member: LiveMember | undefined): boolean {
    switch (operation) {
      case 'CreateMembers':
        return member !== undefined;
      case 'InviteMembers':
        return member !== undefined && this.statuses.settled.includes(member.status);
      case 'DisassociateMembers':
        return member === undefined || this.statuses.unassociated.includes(member.status);
      case 'DeleteMembers':
        return member === undefined;
    }
  }

  private outOfTime(): boolean {
    return this.options.deadline !== undefined && Date.now() > this.options.deadline;
  }

  private fail(operation: string, accounts: readonly UnprocessedAccount[]) {
    for (const account of accounts) {
      this.problems.push({ operation, accountId: account.accountId, reason: account.reason });
    }
  }

  /** GetMembers in batches; a failed read leaves the accounts unknown (undefined entry missing). */
  async readMembers(accountIds: readonly string[]): Promise<{ members: Map<string, LiveMember>; error?: string }> {
    const members = new Map<string, LiveMember>();
    let error: string | undefined;
    for (const batch of chunk(accountIds)) {
      try {
        for (const member of await this.api.getMembers(batch)) {
          members.set(member.accountId, member);
        }
      } catch (err) {
        error = describeError(err);
        this.options.log.warn('GetMembers failed', { accounts: batch, error });
      }
    }
    return { members, error };
  }

  /**
   * One mutating call. Unprocessed accounts (or every account, when the call itself failed)
   * are checked with GetMembers: those already where the operation wanted them succeeded,
   * which covers "already a member" answers and retried calls whose first attempt went
   * through. Returns the accounts that truly failed.
   */
  async call(
    operation: MemberOperation,
    accountIds: string[],
    send: () => Promise<UnprocessedAccount[]>,
    /** Filled with the members read while checking, so callers need not read them again. */
    seen?: Map<string, LiveMember>,
  ): Promise<Set<string>> {
    if (this.outOfTime()) {
      const reason = 'not attempted: the handler ran out of time before this batch';
      this.fail(operation, accountIds.map((accountId) => ({ accountId, reason })));
      return new Set(accountIds);
    }
    let unprocessed: UnprocessedAccount[];
    try {
      const inBatch = new Set(accountIds);
      unprocessed = (await send()).filter((u) => inBatch.has(u.accountId));
    } catch (err) {
      const reason = describeError(err);
      this.options.log.warn(`${operation} call failed`, { accounts: accountIds, error: reason });
      unprocessed = accountIds.map((accountId) => ({ accountId, reason }));
    }
    this.options.log.info(operation, {
      accounts: accountIds,
      unprocessed: unprocessed.map((u) => ({ accountId: u.accountId, reason: redactEmails(u.reason) })),
    });
    if (unprocessed.length === 0) {
      return new Set();
    }
    const { members, error } = await this.readMembers(unprocessed.map((u) => u.accountId));
    members.forEach((member, id) => seen?.set(id, member));
    const failed = unprocessed.filter((u) => error !== undefined || !this.reached(operation, members.get(u.accountId)));
    const accepted = unprocessed.length - failed.length;
    if (accepted > 0) {
      this.options.log.info(`${operation}: unprocessed accounts already in place`, {
        accounts: unprocessed.filter((u) => !failed.includes(u)).map((u) => u.accountId),
      });
    }
    this.fail(operation, failed);
    return new Set(failed.map((u) => u.accountId));
  }

  private async each(accountIds: readonly string[], fn: (batch: string[]) => Promise<void>) {
    await forEachBounded(chunk(accountIds), this.concurrency, fn);
  }

  async disassociate(accountIds: readonly string[]): Promise<Set<string>> {
    const failed = new Set<string>();
    await this.each(accountIds, async (batch) => {
      for (const id of await this.call('DisassociateMembers', batch, () => this.api.disassociateMembers(batch))) failed.add(id);
    });
    return failed;
  }

  async delete(accountIds: readonly string[]): Promise<Set<string>> {
    const failed = new Set<string>();
    await this.each(accountIds, async (batch) => {
      for (const id of await this.call('DeleteMembers', batch, () => this.api.deleteMembers(batch))) failed.add(id);
    });
    return failed;
  }

  async invite(accountIds: readonly string[]): Promise<number> {
    let invited = 0;
    await this.each(accountIds, async (batch) => {
      // Not `invited += await ...`: that reads `invited` before the await and loses counts.
      const count = await this.inviteBatch(batch);
      invited += count;
    });
    return invited;
  }

  /** Invites one batch; counts the accounts InviteMembers processed, not those already in place. */
  private async inviteBatch(batch: string[]): Promise<number> {
    const inPlace = new Map<string, LiveMember>();
    const failed = await this.call('InviteMembers', batch, () => this.api.inviteMembers(batch), inPlace);
    return batch.filter((id) => !failed.has(id) && !inPlace.has(id)).length;
  }

  /**
   * CreateMembers per batch, then, for services whose CreateMembers does not invite, one
   * GetMembers on the accounts it processed and InviteMembers for those left invitable.
   * CreateMembers enables organization accounts at once and its answer does not say which ones
   * it enabled; the read tells, so an organization account never receives an invitation.
   * Three calls per batch (two when the batch holds only organization accounts).
   */
  async create(members: readonly MemberDeclaration[], previouslyLive: ReadonlySet<string>): Promise<void> {
    const { statuses } = this;
    const withInvite = this.options.invite && !statuses.createInvites;
    const invitableAfterCreate = [...statuses.invitable, ...statuses.recreatable];
    await forEachBounded(chunk(members), this.concurrency, async (batch) => {
      const ids = batch.map((m) => m.accountId);
      // Members read while checking unprocessed answers: their state is known already.
      const known = new Map<string, LiveMember>();
      let reported: LiveMember[] = [];
      const failed = await this.call('CreateMembers', ids, async () => {
        const result = await this.api.createMembers(batch);
        reported = result.members;
        return result.unprocessed;
      }, known);
      const created = ids.filter((id) => !failed.has(id));
      reported.filter((m) => created.includes(m.accountId)).forEach((m) => known.set(m.accountId, m));
      this.summary.created += created.filter((id) => !previouslyLive.has(id)).length;
      this.checkCreated(created, known);
      if (statuses.createInvites) {
        // An account the answer does not report is counted as invited, as CreateMembers invites it.
        this.summary.invited += created.filter((id) => {
          const status = known.get(id)?.status;
          return status === undefined || !statuses.accepted.includes(status);
        }).length;
        return;
      }
      if (!withInvite || created.length === 0) {
        return;
      }
      const unread = created.filter((id) => !known.has(id));
      if (unread.length > 0) {
        const { members: read, error } = await this.readMembers(unread);
        read.forEach((member, id) => known.set(id, member));
        if (error !== undefined) {
          // Never invite blind: an unread account may be an organization account.
          this.fail('GetMembers', unread.filter((id) => !known.has(id)).map((accountId) => ({ accountId, reason: error })));
        }
      }
      const toInvite = created.filter((id) => known.has(id) && invitableAfterCreate.includes(known.get(id)!.status));
      if (toInvite.length > 0) {
        // Not `+= await`: that reads the sum before the await and loses concurrent counts.
        const invited = await this.inviteBatch(toInvite);
        this.summary.invited += invited;
      }
    });
  }

  /**
   * What CreateMembers (or the read after it) reports on processed accounts: a failed email
   * verification is a failure with its reason; an accepted-but-disabled member is logged and
   * counted, not a failure.
   */
  private checkCreated(created: readonly string[], known: ReadonlyMap<string, LiveMember>): void {
    for (const id of created) {
      const member = known.get(id);
      if (!member) continue;
      if (this.statuses.verificationFailed.includes(member.status)) {
        this.fail('CreateMembers', [{
          accountId: id,
          reason: `email verification failed (${member.status}): the declared email is not the account's root email`,
        }]);
      } else if (this.statuses.disabled.includes(member.status)) {
        this.summary.disabled++;
        this.options.log.warn('member accepted but disabled', { accountId: id, status: member.status, disabledReason: member.disabledReason });
      }
    }
  }

  /** Remove accounts: disassociate the associated ones (GuardDuty), then delete. */
  async remove(removals: Plan['removals']): Promise<void> {
    const failedDisassociate = await this.disassociate(removals.disassociate);
    // Never delete a record whose association could not be ended.
    const toDelete = removals.delete.filter((id) => !failedDisassociate.has(id));
    const failedDelete = await this.delete(toDelete);
    const removedIds = new Set([...removals.disassociate, ...removals.delete]);
    this.summary.removed += [...removedIds].filter((id) => !failedDisassociate.has(id) && !failedDelete.has(id)).length;
  }

  reason(headline: string, epilogue?: string): string {
    const pointer = this.options.requestId ? ` Full list in the log, request ${this.options.requestId}.` : '';
    return formatFailureReason(this.problems, {
      service: this.statuses.service,
      headline,
      epilogue: `${epilogue ?? ''}${pointer}`.trim(),
    });
  }
}

export interface ReconcileRequest {
  readonly desired: readonly MemberDeclaration[];
  /** Declared before; empty on create and on a replacement. */
  readonly previous: readonly MemberDeclaration[];
  /** A create (or replacement) is undone by the handler itself when it fails. */
  readonly undoOnFailure: boolean;
}

function accountCount(n: number): string {
  return `${n} account${n === 1 ? '' : 's'}`;
}

/** Create and Update: make live membership match the declaration. */
export async function reconcile(api: MemberApi, request: ReconcileRequest, options: ReconcileOptions): Promise<ReconcileSummary> {
  const { log } = options;
  const live = await api.listMembers();
  const plan = planMembers({
    statuses: api.statuses,
    desired: request.desired,
    previous: request.previous,
    live,
    invite: options.invite,
    removal: options.removal,
  });
  log.info('plan', {
    declared: request.desired.length,
    previouslyDeclared: request.previous.length,
    liveMembers: live.length,
    create: plan.additions.create.map((m) => m.accountId),
    recreate: plan.additions.delete,
    invite: plan.additions.invite,
    disassociate: plan.removals.disassociate,
    delete: plan.removals.delete,
    blocked: plan.blocked.map((b) => b.accountId),
    unchanged: plan.unchanged.length,
  });

  if (plan.peakMembers > plan.quota) {
    const adding = plan.peakMembers - live.length;
    throw new ReconcileError(
      `${api.statuses.service}: the declaration would bring membership to ${plan.peakMembers} accounts ` +
      `(${live.length} now, ${adding} to add), over the service limit of ${plan.quota}. Nothing was changed.` +
      (plan.removals.delete.length > 0 ? ' Additions run before removals: remove accounts in one deployment, then add in the next.' : ''),
    );
  }

  const run = new Run(api, options);
  run.summary.unchanged = plan.unchanged.length;
  const liveById = new Map(live.map((m) => [m.accountId, m]));
  const liveIds = new Set(liveById.keys());
  run.summary.disabled = plan.unchanged.filter((id) => api.statuses.disabled.includes(liveById.get(id)?.status ?? '')).length;
  if (plan.keptDespiteEmail.length > 0) {
    log.info('accepted members kept although their recorded email differs from the declared one', {
      accounts: plan.keptDespiteEmail.map((id) => ({ accountId: id, status: liveById.get(id)?.status })),
    });
  }

  // Additions phase: records to replace, then creations (with invitations), then invitations.
  await run.disassociate(plan.additions.disassociate);
  await run.delete(plan.additions.delete);
  await run.create(plan.additions.create, liveIds);
  const invitedExisting = await run.invite(plan.additions.invite);
  run.summary.invited += invitedExisting;
  run.problems.push(...plan.blocked);

  const total = request.desired.length;
  if (run.problems.length > 0 && options.failOnUnprocessed) {
    const failedCount = new Set(run.problems.map((p) => p.accountId)).size;
    log.error('additions failed', { problems: run.problems });
    let epilogue = 'No member was removed.';
    if (request.undoOnFailure) {
      epilogue = await undoCreated(api, plan, liveIds, options);
    }
    throw new ReconcileError(run.reason(`${accountCount(failedCount)} of ${total} declared could not be brought to the declared state`, epilogue));
  }

  // Removals phase: only after every addition succeeded.
  const additionProblems = run.problems.length;
  await run.remove(plan.removals);
  const removalProblems = run.problems.slice(additionProblems);
  if (removalProblems.length > 0 && options.failOnUnprocessed) {
    log.error('removals failed', { problems: removalProblems });
    const count = new Set(removalProblems.map((p) => p.accountId)).size;
    const removing = new Set([...plan.removals.disassociate, ...plan.removals.delete]).size;
    throw new ReconcileError(run.reason(`${accountCount(count)} of ${removing} to remove could not be removed`));
  }

  run.summary.unprocessed = new Set(run.problems.map((p) => p.accountId)).size;
  if (run.problems.length > 0) {
    log.warn('unprocessed accounts ignored (failOnUnprocessed is false)', { problems: run.problems });
  }
  log.info('reconciled', { ...run.summary });
  return run.summary;
}

/**
 * After a failed create the Provider framework answers CloudFormation's Delete without calling
 * us, so whatever this run added must be taken back now.
 */
async function undoCreated(api: MemberApi, plan: Plan, previouslyLive: ReadonlySet<string>, options: ReconcileOptions): Promise<string> {
  const added = plan.additions.create.map((m) => m.accountId).filter((id) => !previouslyLive.has(id));
  if (added.length === 0) {
    return 'Nothing had been added, so nothing was undone.';
  }
  // Undo must not be cut short by the deadline that stopped the run.
  const undo = new Run(api, { ...options, deadline: undefined });
  await undo.remove({
    disassociate: api.statuses.hasDisassociate ? added : [],
    delete: added,
  });
  options.log.info('undo', { accounts: added, problems: undo.problems });
  if (undo.problems.length === 0) {
    return `The ${accountCount(added.length)} this deployment added were removed again.`;
  }
  const stuck = [...new Set(undo.problems.map((p) => p.accountId))];
  return `Undo left ${accountCount(stuck.length)} added by this deployment as members: ${stuck.slice(0, 20).join(', ')}${stuck.length > 20 ? ', ...' : ''}.`;
}

/** Delete: remove the declared members that are still members. */
export async function removeDeclared(api: MemberApi, declared: readonly MemberDeclaration[], options: ReconcileOptions): Promise<ReconcileSummary> {
  const live = await api.listMembers();
  const removals = planDeletion(api.statuses, declared, live, options.removal);
  options.log.info('plan (delete)', { declared: declared.length, disassociate: removals.disassociate, delete: removals.delete });
  const run = new Run(api, options);
  await run.remove(removals);
  if (run.problems.length > 0) {
    const count = new Set(run.problems.map((p) => p.accountId)).size;
    if (options.failOnUnprocessed) {
      options.log.error('removals failed', { problems: run.problems });
      const removing = new Set([...removals.disassociate, ...removals.delete]).size;
      throw new ReconcileError(run.reason(`${accountCount(count)} of ${removing} to remove could not be removed`));
    }
    run.summary.unprocessed = count;
    options.log.warn('unprocessed accounts ignored (failOnUnprocessed is false)', { problems: run.problems });
  }
  options.log.info('removed', { ...run.summary });
  return run.summary;
}
