/**
 * Create, Update and Sync: bring membership to the declaration. The first invocation resolves
 * the declaration, reads live state (writing the declaration's emails meanwhile), checks the
 * removal guard and the quota, writes the journal with the claim (one round: the claim counts
 * once its journal is complete), and only then changes members. Every later invocation continues from the
 * journal alone, within the journal's scope, and checks the guard and the quota again on what it
 * is about to do.
 */
import { RUN_BUDGET_MS } from './budgets';
import { checkGuard, checkQuota, checkSettingsConflicts, GuardError } from './checks';
import { ClaimHoldings, recordsOf } from './claim';
import { LiveRead, memberApi, readLive, RunContext } from './context';
import { Inherited, inheritedRun, previousHoldings, resolveDeclared } from './declared';
import { isOwnRun, JournalDraft, journalOf, NO_PROGRESS, priorOf, WrittenDeclaration } from './journal';
import { done, SliceResult } from './outcome';
import { claimedElsewhere, heldElsewhere, recordedElsewhere, Siblings } from './protection';
import { resumeStep, Started } from './resume';
import { step } from './step';
import { awaitUnderWay } from './under-way';
import { finishUndo, stopped, StopReason } from './undo';
import { removedAccountsSettings } from './undo-settings';
import { unrecordedEmails } from './unrecorded-emails';
import { Declaration } from '../declaration';
import { MemberApi, ReconcileError } from '../engine';
import { AccountSettings } from '../execution/api';
import { decodeAccounts, newGeneration } from '../ledger/codec';
import { LoadedJournal } from '../ledger/ledger';
import { JournalRecord, RecordRef, RunKind, RunOptions } from '../ledger/records';
import { changedAccounts, Plan, planMembers, removalLimit, removedAccounts } from '../planner';
import { MemberDeclaration, ReconcileProperties } from '../properties';
import { isAwaited } from '../stacks';

export interface ForwardRequest {
  readonly kind: RunKind;
  /** The declaration, parsed once (a sync's comes from its claim). */
  readonly declaration: Declaration;
  /** An Update's old properties: their fingerprint, and what a resource without a claim held. */
  readonly oldProps?: ReconcileProperties;
  readonly oldFingerprint?: string;
  /** An Update onto a different target: the old one's Delete follows. */
  readonly replacement?: boolean;
}

export async function forward(run: RunContext, request: ForwardRequest): Promise<SliceResult> {
  const mine = isOwnRun(run.own?.journal, run.requestId) ? run.own!.journal : undefined;
  if (mine) {
    switch (mine.state.phase) {
      case 'done':
        // The Provider framework may call twice: the work is done.
        return done(run.service.definition, run.target, { ...NO_PROGRESS, unchanged: 0, unprocessed: 0, disabled: 0, ...mine.state.progress });
      case 'failed':
      case 'undone':
        throw new ReconcileError(mine.state.failure ?? `${run.service.definition.name}: the deployment failed.`);
      case 'undoing':
        return finishUndo(run, mine);
    }
  }
  if (request.kind !== 'Sync') {
    const why = stopReason(run, request.kind, mine);
    if (why) return stopped(run, mine, why);
  }
  let started: Started;
  try {
    started = mine ? await resumeStep(run, mine) : await begin(run, request);
  } catch (err) {
    // The guard refused a continuation (live state changed under the run): it stops as a failure does.
    if (!(err instanceof GuardError) || !mine) throw err;
    return stopped(run, mine, { kind: 'failed', detail: err.message });
  }
  return step(run, started);
}

/** Why a deployment's run must stop before going on: CloudFormation gave up on it, or it is out of time. */
function stopReason(run: RunContext, kind: RunKind, mine: LoadedJournal | undefined): StopReason | undefined {
  if (!isAwaited(run.stack, kind === 'Create' ? 'Create' : 'Update')) {
    const { status, rootStatus } = run.stack;
    return { kind: 'cancelled', detail: `stack status ${status}${rootStatus ? `, root stack ${rootStatus}` : ''}`, request: kind === 'Create' ? 'Create' : 'Update' };
  }
  if (Date.now() > run.startedAt + RUN_BUDGET_MS) {
    return { kind: 'out-of-time', detail: `${Math.round(RUN_BUDGET_MS / 60_000)} minutes`, progress: mine?.state.progress };
  }
  return undefined;
}

function runOptions(request: ForwardRequest, previousCount: number, undoOnFailure: boolean): RunOptions {
  const { declaration: d } = request;
  return {
    invite: d.invite,
    removal: d.removal,
    failOnUnprocessed: d.failOnUnprocessed,
    disableEmailNotification: d.disableEmailNotification,
    removalLimit: Math.min(Number.MAX_SAFE_INTEGER, removalLimit(previousCount, d.maxRemovals)),
    previousCount,
    maxRemovals: d.maxRemovals,
    undoOnFailure,
    settings: d.settings,
  };
}

/** The first invocation: everything is read and checked, then journaled, before any change. */
async function begin(run: RunContext, request: ForwardRequest): Promise<Started> {
  // Nothing names the declaration record until the claim: it is written while live state is read.
  const declared = recordsOf(run).writeDeclaration(request.declaration);
  // Awaited once the journal is due (or below); a failure meanwhile must not go unhandled.
  declared.catch(() => undefined);
  try {
    return await prepare(run, request, declared);
  } finally {
    // Settled before the invocation's cleanup, which deletes it when the run stopped short.
    await declared.catch(() => undefined);
  }
}

async function prepare(run: RunContext, request: ForwardRequest, declared: Promise<RecordRef>): Promise<Started> {
  const { declaration } = request;
  const previous = previousDeclaration(run);
  const inherited = await inheritedRun(run);
  const holdings = previousHoldings(run, request.kind, request.oldProps, request.replacement === true, inherited);
  const { desired } = await resolveDeclared(run, declaration);
  const desiredIds = new Set(desired.map((m) => m.accountId));
  const previousIds = new Set(holdings.previous);
  const candidates = new Set(holdings.previous.filter((id) => !desiredIds.has(id)));
  const api = memberApi(run, { message: declaration.message, disableEmailNotification: declaration.disableEmailNotification });
  const siblings = { accounts: declaration.siblingAccounts, units: declaration.siblingUnits };
  // Removals an unfinished run it takes over left under way: through before live state is read.
  const underWay = inherited && run.own?.journal ? await awaitUnderWay(run, api, run.own.journal.state.progress, run.deadline) : [];
  // Whether the administrator is the organization's delegated administrator: asked beside the reads.
  let [read, protectedIds, organizationAccounts] = await Promise.all([
    readLive(run, api, [...new Set([...desiredIds, ...previousIds])]),
    heldElsewhere(run, candidates, siblings),
    knownOrganizationAccounts(api, declaration, desired),
  ]);
  const undoOnFailure = request.kind === 'Create' || request.replacement === true;
  const options = runOptions(request, holdings.previous.length, undoOnFailure);
  const makePlan = () => planMembers({
    statuses: api.statuses,
    desired,
    previous: holdings.previous,
    live: [...read.live.values()],
    protected: protectedIds,
    onlyChanges: holdings.onlyChanges,
    memberCount: read.total,
    invite: declaration.invite,
    removal: declaration.removal,
  });
  let plan = makePlan();
  checkGuard(run, options, removedAccounts(plan.removals).length, request.kind);
  checkSettingsConflicts(run, declaration.settings, desiredIds);
  if (plan.peakMembers > read.total && !read.listed && plan.peakMembers >= plan.quota * 0.9) {
    read = await readLive(run, api, [], true);
    plan = makePlan();
  }
  checkQuota(run, plan, read.total);
  logPlan(run, plan, desired.length, holdings.previous.length);
  const facts = { desiredIds, previousIds, plan, read, protectedIds, options, inherited, holdings, siblings, organizationAccounts };
  const drafted = draftOf(run, request, facts);
  // Members read back without an email (Macie's organization accounts): an undo creates them again with the declared one.
  const emails = await unrecordedEmails(run, drafted.prior, desired, request.oldProps);
  const draft = emails.size > 0 ? { ...drafted, create: new Map([...emails, ...drafted.create]) } : drafted;
  const adopted = adoptedAccounts(run, desiredIds, previousIds, read, draft.unmanaged);
  // Released only because another declaration's units hold them now, no claim yet: still held here.
  const recorded = recordedElsewhere(run);
  const retained = plan.released.filter((id) => !recorded.has(id));
  const leavingSettings = await removedAccountsSettings(run, api, plan, read.live);
  const written = { ref: await declared, members: declaration.members, previous: await previous };
  const journal = await writeAhead(run, draft, declaration, written, { accounts: desiredIds, adopted, retained }, leavingSettings);
  return { journal, progress: NO_PROGRESS, api, plan, read, declared: desired.length, desired: [...desiredIds], organizationAccounts, underWay };
}

/** What `begin` learnt, for the journal. */
interface BeginFacts {
  readonly desiredIds: ReadonlySet<string>;
  readonly previousIds: ReadonlySet<string>;
  readonly plan: Plan;
  readonly read: LiveRead;
  readonly protectedIds: ReadonlySet<string>;
  readonly options: RunOptions;
  readonly inherited?: Inherited;
  readonly holdings: ReturnType<typeof previousHoldings>;
  readonly siblings: Siblings;
  readonly organizationAccounts?: ReadonlySet<string>;
}

/**
 * The journal's content: the scope (every account the plan changes, and every account whose
 * holding changes) with how each stood, which of them no declaration held, and the emails to
 * create with.
 */
function draftOf(run: RunContext, request: ForwardRequest, facts: BeginFacts): JournalDraft {
  const { desiredIds, previousIds, plan, read, inherited, holdings } = facts;
  const changed = new Set(changedAccounts(plan));
  const scope = new Set([...changed, ...desiredIds, ...previousIds].filter((id) => changed.has(id) || desiredIds.has(id) !== previousIds.has(id)));
  inherited?.prior?.forEach((_, id) => scope.add(id));
  const prior = priorOf(scope, read.live, inherited?.prior);
  const claimed = claimedElsewhere(run, facts.siblings);
  const unmanaged = new Set([...scope].filter((id) => prior.get(id) !== undefined && !previousIds.has(id) && !claimed.has(id)));
  inherited?.unmanaged.forEach((id) => unmanaged.add(id));
  return {
    kind: request.kind,
    from: inherited?.from ?? request.oldFingerprint,
    to: request.declaration.fingerprint,
    operation: run.stack.operation,
    previousClaim: inherited ? inherited.previousClaim : run.own?.generation,
    takenOverClaim: inherited ? run.own?.generation : undefined,
    previousAccounts: inherited || holdings.fromProperties ? holdings.previous : undefined,
    options: facts.options,
    prior,
    unmanaged,
    protected: facts.protectedIds,
    onlyChanges: holdings.onlyChanges,
    create: new Map([...(inherited?.create ?? []), ...plan.additions.create.map((m) => [m.accountId, m.email] as const)]),
    staticMembers: facts.organizationAccounts ? request.declaration.members.map((m) => m.accountId) : undefined,
  };
}

/**
 * The declared accounts that came from organizational units, when the administrator is the
 * organization's delegated administrator for the service: CreateMembers enables them at once,
 * so they need neither a read-back nor an invitation.
 */
async function knownOrganizationAccounts(api: MemberApi, declaration: Declaration,
  desired: readonly MemberDeclaration[]): Promise<Set<string> | undefined> {
  if (declaration.organizationalUnits.length === 0 || !api.organizationAdministrator || !await api.organizationAdministrator()) {
    return undefined;
  }
  const staticIds = new Set(declaration.members.map((m) => m.accountId));
  return new Set(desired.map((m) => m.accountId).filter((id) => !staticIds.has(id)));
}

/**
 * The claim's declaration record before the run, read beside live state: the journal names it
 * for the prior emails it holds. Unread (a failure), the journal keeps every prior email itself.
 */
function previousDeclaration(run: RunContext): Promise<WrittenDeclaration['previous']> {
  const ref = run.own?.record?.declarationRecord;
  if (!ref) return Promise.resolve(undefined);
  return run.ledger.loadDeclaration(ref).then(
    (record) => (record ? { ref, emails: new Map(record.members) } : undefined),
    () => undefined,
  );
}

/** The journal (with the settings of the accounts the run removes) and the claim: all before the first change. */
async function writeAhead(run: RunContext, draft: JournalDraft, declaration: Declaration, written: WrittenDeclaration,
  holdings: ClaimHoldings, leavingSettings: ReadonlyMap<string, AccountSettings>): Promise<JournalRecord> {
  const records = recordsOf(run);
  const generation = newGeneration();
  const { record, secret } = journalOf(run, draft, generation, written);
  return records.writeAhead(record, secret, records.claimOf(declaration, holdings, written.ref), generation, leavingSettings);
}

/** Declared accounts that were members, held by no declaration, when the claim took them (kept from before). */
function adoptedAccounts(run: RunContext, desired: ReadonlySet<string>, previous: ReadonlySet<string>, read: LiveRead,
  unmanaged: ReadonlySet<string>): string[] {
  const before = new Set(decodeAccounts(run.own?.record?.adopted));
  return [...desired].filter((id) => before.has(id) || (!previous.has(id) && read.live.has(id) && unmanaged.has(id)));
}

function logPlan(run: RunContext, plan: Plan, declared: number, previous: number): void {
  run.log.info('plan', {
    declared,
    previouslyHeld: previous,
    create: plan.additions.create.map((m) => m.accountId),
    recreate: plan.additions.delete,
    invite: plan.additions.invite,
    disassociate: plan.removals.disassociate,
    delete: plan.removals.delete,
    released: plan.released,
    blocked: plan.blocked.map((b) => b.accountId),
    unchanged: plan.unchanged.length,
  });
  if (plan.keptDespiteEmail.length > 0) {
    run.log.info('accepted members kept although their recorded email differs from the declared one', { accounts: plan.keptDespiteEmail });
  }
  if (plan.released.length > 0) {
    run.log.info('no longer declared here but held by another declaration: not removed', { accounts: plan.released });
  }
}
