/**
 * One execution of a plan, batch by batch: at most 50 accounts a call, a bounded number of
 * mutating calls in flight, every unprocessed account checked against live state, and no new
 * call past the deadline (the next invocation continues from live state).
 */
import {
  accountsPerCall,
  callErrorReason,
  chunk,
  CREATE_PIPELINES_PER_SLOT,
  DEFAULT_CONCURRENCY,
  describeError,
  emptySummary,
  ExecuteOptions,
  MemberApi,
  MemberOperation,
  ONE_ACCOUNT_CONCURRENCY,
  ReconcileSummary,
  Slots,
  UnprocessedAccount,
} from './api';
import { awaitChanged, createEach } from './each-account';
import { OutOfTime } from './one-account';
import { forEachBounded } from '../bounded';
import { AccountProblem, LiveMember, operationName, Removals } from '../planner';
import { MemberDeclaration } from '../properties';
import { redactEmails } from '../report';

export class BatchRun {
  readonly problems: AccountProblem[] = [];
  readonly summary: ReconcileSummary = emptySummary();
  /** What the run learnt of the accounts it created (read back, invited): their state now. */
  readonly learned = new Map<string, LiveMember>();
  /** Accounts whose asynchronous removal was started and not seen through before the deadline. */
  readonly underWay = new Set<string>();
  /** Set when the deadline left batches unattempted. */
  deferred = false;
  /** Mutating calls sent. */
  private calls = 0;
  readonly concurrency: number;
  /** Held by each mutating call while it is in flight; reads do not take one. */
  private readonly callSlots: Slots;

  constructor(readonly api: MemberApi, readonly options: ExecuteOptions) {
    const perAccount = (api.perAccount?.length ?? 0) > 0;
    this.concurrency = Math.max(1, options.concurrency ?? (perAccount ? ONE_ACCOUNT_CONCURRENCY : DEFAULT_CONCURRENCY));
    this.callSlots = new Slots(this.concurrency);
  }

  get statuses() {
    return this.api.statuses;
  }

  /** Whether CreateMembers is followed by InviteMembers for the accounts it leaves invitable. */
  get invitesAfterCreate(): boolean {
    const { createInvites, invitable } = this.statuses;
    return (this.options.invite || this.options.inviteAfterCreate !== undefined) && !createInvites && invitable.length > 0;
  }

  /** Whether an account ended where the operation was meant to put it. */
  reached(operation: MemberOperation, member: LiveMember | undefined): boolean {
    switch (operation) {
      case 'CreateMembers':
        // A disassociated member that CreateMembers refused is still out of the target, unless an
        // invitation follows (a member that joined by invitation comes back that way).
        return member !== undefined && (!this.statuses.recreatable.includes(member.status) || this.invitesAfterCreate);
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

  fail(operation: string, accounts: readonly UnprocessedAccount[]) {
    for (const account of accounts) {
      this.problems.push({ operation: operationName(this.statuses, operation), accountId: account.accountId, reason: account.reason });
    }
  }

  /** GetMembers in batches; a failed read leaves the accounts unknown (undefined entry missing). */
  async readMembers(accountIds: readonly string[]): Promise<{ members: Map<string, LiveMember>; error?: string }> {
    const members = new Map<string, LiveMember>();
    let error: string | undefined;
    const read = async (batch: string[]) => {
      try {
        for (const member of await this.api.getMembers(batch)) {
          members.set(member.accountId, member);
        }
      } catch (err) {
        error = describeError(err);
        this.options.log.warn(`${operationName(this.statuses, 'GetMembers')} failed`, { accounts: batch, error });
      }
    };
    if (accountsPerCall(this.api, 'GetMembers') === 1) {
      // One account per call: as many in flight as the run's calls may be.
      await forEachBounded(chunk(accountIds, 1), this.concurrency, read);
    } else {
      for (const batch of chunk(accountIds)) await read(batch);
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
    /**
     * The invitation that completes a batch CreateMembers just processed: it goes out even past
     * the deadline, so no batch is left created but not invited (a disassociated member that
     * CreateMembers refuses comes back only by this invitation, whatever the invocation's time).
     */
    completesPipeline = false,
  ): Promise<Set<string>> {
    // A created batch's invitation goes ahead of batches not created yet.
    await this.callSlots.acquire(operation === 'InviteMembers');
    if (!completesPipeline && this.outOfTime()) {
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
      if (err instanceof OutOfTime) {
        // Throttled until the deadline, so never applied: the next invocation sends it.
        this.deferred = true;
        return new Set(accountIds);
      }
      const reason = callErrorReason(this.statuses, err);
      this.options.log.warn(`${operationName(this.statuses, operation)} call failed`, { accounts: accountIds, error: reason });
      unprocessed = accountIds.map((accountId) => ({ accountId, reason }));
    } finally {
      this.callSlots.release();
    }
    this.options.log.info(operationName(this.statuses, operation), {
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

  private async each(operation: MemberOperation, accountIds: readonly string[], fn: (batch: string[]) => Promise<void>) {
    await forEachBounded(chunk(accountIds, accountsPerCall(this.api, operation)), this.concurrency, fn);
  }

  /** Disassociates; where that only starts the change, awaits it. Answers the accounts not (yet) out. */
  async disassociate(accountIds: readonly string[]): Promise<Set<string>> {
    const failed = new Set<string>();
    await this.each('DisassociateMembers', accountIds, async (batch) => {
      for (const id of await this.call('DisassociateMembers', batch, () => this.api.disassociateMembers(batch))) failed.add(id);
    });
    if (this.api.asynchronous) {
      (await awaitChanged(this, 'DisassociateMembers', accountIds.filter((id) => !failed.has(id)))).forEach((id) => failed.add(id));
    }
    return failed;
  }

  async delete(accountIds: readonly string[]): Promise<Set<string>> {
    const failed = new Set<string>();
    await this.each('DeleteMembers', accountIds, async (batch) => {
      for (const id of await this.call('DeleteMembers', batch, () => this.api.deleteMembers(batch))) failed.add(id);
    });
    return failed;
  }

  async invite(accountIds: readonly string[]): Promise<number> {
    let invited = 0;
    await this.each('InviteMembers', accountIds, async (batch) => {
      // Not `invited += await ...`: that reads `invited` before the await and loses counts.
      const count = await this.inviteBatch(batch);
      invited += count;
    });
    return invited;
  }

  /** Invites one batch; counts the accounts InviteMembers processed, not those already in place. */
  async inviteBatch(batch: string[], afterCreate = false): Promise<number> {
    const inPlace = new Map<string, LiveMember>();
    const failed = await this.call('InviteMembers', batch, () => this.api.inviteMembers(batch), inPlace, afterCreate);
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
    if (accountsPerCall(this.api, 'CreateMembers') === 1) {
      await createEach(this, members, previouslyLive);
      return;
    }
    const { statuses } = this;
    const withInvite = this.invitesAfterCreate;
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
      created.forEach((id) => known.has(id) && this.learned.set(id, known.get(id)!));
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
      // Organization accounts (from OUs, under the organization's delegated administrator) are
      // enabled by CreateMembers: nothing to read back, nobody to invite.
      const unread = created.filter((id) => !known.has(id) && !this.options.organizationAccounts?.has(id));
      if (unread.length > 0) {
        const { members: read, error } = await this.readMembers(unread);
        read.forEach((member, id) => known.set(id, member));
        if (error !== undefined) {
          // Never invite blind: an unread account may be an organization account.
          this.fail('GetMembers', unread.filter((id) => !known.has(id)).map((accountId) => ({ accountId, reason: error })));
        }
      }
      created.forEach((id) => known.has(id) && this.learned.set(id, known.get(id)!));
      const toInvite = created.filter((id) => known.has(id) && invitableAfterCreate.includes(known.get(id)!.status)
        && (this.options.inviteAfterCreate?.has(id) ?? true));
      if (toInvite.length > 0) {
        // Not `+= await`: that reads the sum before the await and loses concurrent counts.
        const invited = await this.inviteBatch(toInvite, true);
        toInvite.forEach((id) => this.learned.set(id, { ...known.get(id)!, status: 'Invited' }));
        this.summary.invited += invited;
      }
    });
  }

  /**
   * What CreateMembers (or the read after it) reports on processed accounts: a failed email
   * verification, or one of the service's failed states (a region disabled in the member), is a
   * failure with its reason; an accepted-but-disabled member is logged and counted, not a failure.
   */
  checkCreated(created: readonly string[], known: ReadonlyMap<string, LiveMember>): void {
    for (const id of created) {
      const member = known.get(id);
      if (!member) continue;
      const failedState = this.statuses.failedStates?.[member.status];
      if (failedState !== undefined) {
        this.fail('CreateMembers', [{ accountId: id, reason: `the member is ${member.status}: ${failedState}` }]);
      } else if (this.statuses.verificationFailed.includes(member.status)) {
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
