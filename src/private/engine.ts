/**
 * Executes a plan against one service through the small {@link MemberApi} interface: batches of
 * at most 50 accounts, a few batches at a time, every unprocessed account checked against live
 * state, additions before removals, and no new batch past the invocation's deadline (the next
 * invocation continues from live state). Reads live state the cheaper way. Service-neutral and
 * SDK-free.
 */
import { forEachBounded } from './bounded';
import { Logger } from './logger';
import { AccountProblem, LiveMember, MemberStatusModel, Plan, Removals, RemovalMode } from './planner';
import { MemberDeclaration } from './properties';
import { formatFailureReason, redactEmails } from './report';

/** Every member API takes at most this many accounts per call. */
export const MAX_ACCOUNTS_PER_CALL = 50;
/**
 * Mutating calls in flight at once; under a rate limit the SDK's adaptive rate limiter paces
 * them (README, Performance).
 */
export const DEFAULT_CONCURRENCY = 10;
/**
 * Create pipelines (GuardDuty: create, read back, invite) in flight per mutating-call slot: while
 * one batch is read back, another's CreateMembers holds the slot, so the reads add no round trips.
 */
const CREATE_PIPELINES_PER_SLOT = 2;

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
  /** ListMembers' page maximum, to tell whether listing or reading the accounts is cheaper. */
  readonly pageSize: number;
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

/** At most `limit` holders at once, served in the order they asked, the urgent ones first. */
export class Slots {
  private free: number;
  private readonly urgent: (() => void)[] = [];
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async acquire(urgent = false): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => (urgent ? this.urgent : this.waiting).push(resolve));
  }

  release(): void {
    const next = this.urgent.shift() ?? this.waiting.shift();
    if (next) {
      next();
    } else {
      this.free++;
    }
  }
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
  /** Set when the deadline left batches unattempted. */
  deferred = false;
  /** Mutating calls sent. */
  private calls = 0;
  private readonly concurrency: number;
  /** Held by each mutating call while it is in flight; reads do not take one. */
  private readonly callSlots: Slots;

  constructor(private readonly api: MemberApi, private readonly options: ExecuteOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.callSlots = new Slots(this.concurrency);
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
        // A service may keep a disassociated member's record (Security Hub refuses DeleteMembers
        // for organization accounts): disassociated, it is out of the target.
        return member === undefined || (this.statuses.keepsDisassociated === true && this.statuses.recreatable.includes(member.status));
    }
  }

  /** Past the deadline, once at least one call went out: every invocation makes progress. */
  private outOfTime(): boolean {
    return this.options.deadline !== undefined && Date.now() > this.options.deadline && this.calls > 0;
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
    // A created batch's invitation goes ahead of batches not created yet: at the deadline, as
    // few accounts as possible are left created but not invited.
    await this.callSlots.acquire(operation === 'InviteMembers');
    if (this.outOfTime()) {
      this.callSlots.release();
      // Not a failure: the next invocation continues from live state.
      this.deferred = true;
      return new Set(accountIds);
    }
    this.calls++;
    let unprocessed: UnprocessedAccount[];
    try {
      const inBatch = new Set(accountIds);
      unprocessed = (await send()).filter((u) => inBatch.has(u.accountId));
    } catch (err) {
      const reason = describeError(err);
      this.options.log.warn(`${operation} call failed`, { accounts: accountIds, error: reason });
      unprocessed = accountIds.map((accountId) => ({ accountId, reason }));
    } finally {
      this.callSlots.release();
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
   * Three calls per batch (two when the batch holds only organization accounts); the reads run
   * beside other batches' mutating calls.
   */
  async create(members: readonly MemberDeclaration[], previouslyLive: ReadonlySet<string>): Promise<void> {
    const { statuses } = this;
    const withInvite = (this.options.invite || this.options.inviteAfterCreate !== undefined) && !statuses.createInvites;
    const invitableAfterCreate = [...statuses.invitable, ...statuses.recreatable];
    await forEachBounded(chunk(members), this.concurrency * CREATE_PIPELINES_PER_SLOT, async (batch) => {
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
      const toInvite = created.filter((id) => known.has(id) && invitableAfterCreate.includes(known.get(id)!.status)
        && (this.options.inviteAfterCreate?.has(id) ?? true));
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
  async remove(removals: Removals): Promise<void> {
    const failedDisassociate = await this.disassociate(removals.disassociate);
    // Never delete a record whose association could not be ended.
    const toDelete = removals.delete.filter((id) => !failedDisassociate.has(id));
    const failedDelete = await this.delete(toDelete);
    const removedIds = new Set([...removals.disassociate, ...removals.delete]);
    this.summary.removed += [...removedIds].filter((id) => !failedDisassociate.has(id) && !failedDelete.has(id)).length;
  }

}

/** `3 accounts`, `1 account`. */
export function accountCount(n: number): string {
  return `${n} account${n === 1 ? '' : 's'}`;
}

/** A failure reason naming the service, the operation, the accounts and the service's reasons. */
export function failureReason(service: string, problems: readonly AccountProblem[], headline: string, epilogue?: string, requestId?: string): string {
  const pointer = requestId ? ` Full list in the log, request ${requestId}.` : '';
  return formatFailureReason(problems, { service, headline, epilogue: `${epilogue ?? ''}${pointer}`.trim() });
}

export interface ExecuteOptions extends ReconcileOptions {
  /** Restoring after a failure: removals first, and whatever the additions' outcome. */
  readonly restoring?: boolean;
  /** Invite after CreateMembers only these accounts (a restore re-invites those that had been invited). */
  readonly inviteAfterCreate?: ReadonlySet<string>;
}

export interface Execution {
  readonly summary: ReconcileSummary;
  /** Accounts that did not end where the plan wanted them, with the service's reasons. */
  readonly problems: AccountProblem[];
  /** False when the deadline left work unattempted: plan again from live state and go on. */
  readonly complete: boolean;
}

/**
 * Runs a plan: additions (records to replace, creations with their invitations, invitations),
 * then, only if every addition succeeded, removals. `live` is the state the plan was made from.
 */
export async function execute(api: MemberApi, plan: Plan, live: ReadonlyMap<string, LiveMember>, options: ExecuteOptions): Promise<Execution> {
  const run = new Run(api, options);
  const liveIds = new Set(live.keys());
  run.summary.unchanged = plan.unchanged.length;
  run.summary.disabled = plan.unchanged.filter((id) => api.statuses.disabled.includes(live.get(id)?.status ?? '')).length;

  if (options.restoring) {
    await run.remove(plan.removals);
  }
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
  return { summary: run.summary, problems: run.problems, complete: !run.deferred };
}

/** Reads in flight at once when reading members account by account. */
export const READ_CONCURRENCY = DEFAULT_CONCURRENCY;

/** The live state of `accountIds`, read with GetMembers in bounded parallel batches; non-members are absent. */
export async function readAccounts(api: MemberApi, accountIds: readonly string[], concurrency = READ_CONCURRENCY): Promise<Map<string, LiveMember>> {
  const found = new Map<string, LiveMember>();
  await forEachBounded(chunk([...new Set(accountIds)]), concurrency, async (batch) => {
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
    get: Math.ceil(Math.ceil(accounts / MAX_ACCOUNTS_PER_CALL) / READ_CONCURRENCY),
  };
}
