/**
 * A forward run's later invocations: everything comes from the journal (scope, prior states,
 * emails, options) and the claim generation it wrote; only live state is read again. The plan
 * stays within the journal's scope, and the removal guard and quota are checked again on what
 * this invocation is about to do.
 */
import { checkGuard, checkQuota } from './checks';
import { memberApi, readLive, RunContext, LiveRead } from './context';
import { decodePrior } from './journal';
import { heldElsewhere, recordedSiblings } from './protection';
import { awaitUnderWay } from './under-way';
import { MemberApi } from '../engine';
import { decodeAccounts } from '../ledger/codec';
import { journalDesired, journalPrevious } from '../ledger/held';
import { LoadedJournal } from '../ledger/ledger';
import { JournalRecord } from '../ledger/records';
import { AccountProblem, Plan, planMembers, removedAccounts } from '../planner';
import { MemberDeclaration } from '../properties';

/** A run ready to change members in this invocation. */
export interface Started {
  readonly journal: JournalRecord;
  readonly progress: LoadedJournal['state']['progress'];
  readonly api: MemberApi;
  readonly plan: Plan;
  readonly read: LiveRead;
  /** Declared accounts (for the failure headline). */
  readonly declared: number;
  /** The declared accounts themselves (their settings are applied once membership is done). */
  readonly desired: readonly string[];
  /** Accounts known to be organization accounts: CreateMembers enables them, no read-back or invitation. */
  readonly organizationAccounts?: ReadonlySet<string>;
  /** Removals an earlier invocation started that are still under way (the journal keeps them). */
  readonly underWay: readonly string[];
}

export async function resumeStep(run: RunContext, mine: LoadedJournal): Promise<Started> {
  const { record } = mine;
  const own = run.own!;
  const secret = await run.ledger.loadJournalSecret(record);
  const prior = decodePrior(record, secret);
  const scope = [...prior.keys()];
  const desiredAll = new Set(journalDesired(own, mine.record));
  const previousAll = new Set(journalPrevious(own, mine.record));
  const api = memberApi(run, { message: secret.message, disableEmailNotification: record.options.disableEmailNotification });
  // Removals the last invocation left under way: through before live state is read.
  const underWay = await awaitUnderWay(run, api, mine.state.progress, run.deadline);
  const read = await readLive(run, api, scope);
  // Still leaving: not members to plan for (asked again, the service may refuse the second call).
  underWay.forEach((id) => read.live.delete(id));
  const desired: MemberDeclaration[] = [];
  const unknown: AccountProblem[] = [];
  for (const id of scope.filter((account) => desiredAll.has(account))) {
    const email = secret.create[id] ?? read.live.get(id)?.email ?? prior.get(id)?.email;
    if (email || api.statuses.emailless) {
      desired.push({ accountId: id, email: email ?? '' });
    } else {
      unknown.push({ accountId: id, operation: 'CreateMembers', reason: 'no longer a member, and its email is not in the run\'s journal (it was changed outside this run): deploy again' });
    }
  }
  const previous = scope.filter((id) => previousAll.has(id));
  const candidates = new Set(previous.filter((id) => !desiredAll.has(id)));
  const protectedIds = new Set([...decodeAccounts(record.protected), ...await heldElsewhere(run, candidates, recordedSiblings(own))]);
  const plan = planMembers({
    statuses: api.statuses,
    desired,
    previous,
    live: [...read.live.values()],
    protected: protectedIds,
    memberCount: read.total,
    invite: record.options.invite,
    removal: record.options.removal,
  });
  plan.blocked.push(...unknown);
  checkGuard(run, record.options, removedAccounts(plan.removals).length, record.kind, mine.state.progress.removed);
  checkQuota(run, plan, read.total);
  const staticIds = record.staticMembers !== undefined ? new Set(decodeAccounts(record.staticMembers)) : undefined;
  const organizationAccounts = staticIds ? new Set([...desiredAll].filter((id) => !staticIds.has(id))) : undefined;
  return {
    journal: record,
    progress: mine.state.progress,
    api,
    plan,
    read,
    declared: desiredAll.size,
    desired: [...desiredAll],
    organizationAccounts,
    underWay,
  };
}
