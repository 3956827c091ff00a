/**
 * Putting back what a run changed, from its journal alone: after a failed create (or
 * replacement), a run CloudFormation cancelled, a create out of time, and CloudFormation's
 * rollbacks. The restore is planned afresh from the journal's prior states and live state in
 * every invocation, so it may span several. The claim goes back to the generation before the run.
 */
import { RUN_BUDGET_MS, UNDO_BUDGET_MS } from './budgets';
import { recordsOf } from './claim';
import { memberApi, RunContext } from './context';
import { decodePrior, writeState } from './journal';
import { CONTINUE, namedAccounts, SliceResult } from './outcome';
import { heldElsewhere, NO_SIBLINGS, pendingRestores } from './protection';
import { awaitUnderWay, withUnderWay } from './under-way';
import { restoreSettings } from './undo-settings';
import { accountCount, emptySummary, execute, Execution, failureReason, MemberApi, readAccounts, ReconcileError } from '../engine';
import { decodeAccounts } from '../ledger/codec';
import { journalPrevious } from '../ledger/held';
import { LoadedJournal } from '../ledger/ledger';
import { JournalRecord, JournalSecret, RunProgress } from '../ledger/records';
import { AccountProblem, LiveMember, removedAccounts } from '../planner';
import { REASON_BUDGET_BYTES } from '../report';
import { planRestore, PriorState, Restore } from '../restore-plan';

/** Why a deployment's run stops before it is done. */
export type StopReason =
  | { readonly kind: 'cancelled'; readonly detail: string; readonly request: 'Create' | 'Update' }
  | { readonly kind: 'out-of-time'; readonly detail: string; readonly progress?: LoadedJournal['state']['progress'] }
  | { readonly kind: 'failed'; readonly detail: string; readonly problems?: readonly AccountProblem[]; readonly headline?: string };

/** When an undo must be done: within the Provider's total timeout. */
export function undoDeadline(run: RunContext): number {
  return run.startedAt + RUN_BUDGET_MS + UNDO_BUDGET_MS;
}

/**
 * A deployment's run that stops: CloudFormation cancelled it (another resource failed: what it
 * changed is put back now, so the rollback finds nothing left), it is out of time (a create is
 * undone, an update left to CloudFormation's rollback), or it failed (a create is undone).
 */
export async function stopped(run: RunContext, mine: LoadedJournal | undefined, why: StopReason): Promise<SliceResult> {
  const name = run.service.definition.name;
  if (why.kind === 'cancelled') {
    const what = `${name}: CloudFormation no longer waits for this ${why.request === 'Create' ? 'creation' : 'update'} (${why.detail})`;
    if (!mine) {
      run.log.warn('cancelled before any change', { ...run.stack });
      throw new ReconcileError(`${what}; nothing was changed.`);
    }
    run.log.warn('cancelled: playing back what the run changed', { ...run.stack });
    return beginUndo(run, mine, { failure: what, cancelled: true });
  }
  if (why.kind === 'out-of-time' && !mine) {
    throw new ReconcileError(`${name}: the run could not start within ${why.detail} of the event; nothing was changed. Another run held the ` +
      `${run.service.definition.target.noun}: deploy again.`);
  }
  const journal = mine!;
  const failure = why.kind === 'out-of-time' ? outOfTimeReason(run, journal, why.detail)
    // Room is kept for what the undo adds (REASON_BUDGET_BYTES in all).
    : why.problems ? failureReason(name, why.problems, why.headline ?? 'the deployment failed', undefined, undefined, REASON_BUDGET_BYTES - 700) : why.detail;
  if (!journal.record.options.undoOnFailure) {
    const reason = `${failure} CloudFormation's rollback puts back what it changed.${why.kind === 'failed' && why.problems ? logPointer(run) : ''}`;
    await writeState(run, journal.record, 'failed', journal.state.progress, reason);
    throw new ReconcileError(reason);
  }
  return beginUndo(run, journal, { failure, detailInLog: why.kind === 'failed' && why.problems !== undefined });
}

function logPointer(run: RunContext): string {
  return ` Full list in the log, request ${run.requestId}.`;
}

function outOfTimeReason(run: RunContext, journal: LoadedJournal, minutes: string): string {
  const { created, invited, removed } = journal.state.progress;
  run.log.error('run budget exhausted', { ...journal.state.progress });
  return `${run.service.definition.name}: the deployment did not finish within ${minutes} ` +
    `(${created} created, ${invited} invited, ${removed} removed so far; the log of request ${run.requestId} says what slowed it).`;
}

interface UndoCause {
  readonly failure: string;
  readonly cancelled?: boolean;
  readonly detailInLog?: boolean;
}

async function beginUndo(run: RunContext, journal: LoadedJournal, why: UndoCause): Promise<SliceResult> {
  const state = { ...journal.state, phase: 'undoing' as const, failure: why.failure, cancelled: why.cancelled, detailInLog: why.detailInLog };
  await recordsOf(run).writeState(journal.record, state);
  return finishUndo(run, { ...journal, state });
}

/**
 * Goes on with an undo until it is done (then the failure is reported, with what the undo did)
 * or out of time (the rollback that follows continues it from the journal).
 */
export async function finishUndo(run: RunContext, journal: LoadedJournal): Promise<SliceResult> {
  const undo = await playBack(run, journal);
  if (!undo.execution.complete && Date.now() < undoDeadline(run)) {
    return CONTINUE;
  }
  const { state } = journal;
  const failure = state.failure ?? `${run.service.definition.name}: the deployment failed.`;
  const epilogue = undoEpilogue(undo, state.progress.created, state.cancelled === true);
  const undoProblems = undo.problems.length > 0
    ? ` ${failureReason('The undo', undo.problems, `${accountCount(new Set(undo.problems.map((p) => p.accountId)).size)} could not be put back`, undefined, undefined, 400)}` : '';
  const pointer = state.detailInLog || undo.problems.length > 0 ? logPointer(run) : '';
  const reason = `${failure}${state.cancelled ? ';' : ''} ${epilogue}${undoProblems}${pointer}`;
  if (undo.execution.complete) {
    await writeState(run, journal.record, 'undone', state.progress, reason);
  }
  throw new ReconcileError(reason);
}

function undoEpilogue(undo: PlayedBack, created: number, cancelled: boolean): string {
  const reinvited = undo.restore.reinvited.length > 0
    ? ` ${accountCount(undo.restore.reinvited.length)} it had removed ${undo.restore.reinvited.length === 1 ? 'was' : 'were'} invited again and must accept again (${namedAccounts(undo.restore.reinvited)}).`
    : '';
  if (!undo.execution.complete) {
    return `the undo ran out of time; the rollback continues it.${reinvited}`;
  }
  if (undo.leftovers.length > 0) {
    return `undo left ${accountCount(undo.leftovers.length)} added by this deployment as members (${namedAccounts(undo.leftovers)}): ` +
      `the claim keeps them, so deleting the stack (or this resource) removes them.${reinvited}`;
  }
  if (cancelled) {
    return `what it had changed was put back.${reinvited}`;
  }
  return `${created === 0 ? 'Nothing had been added, so nothing was undone.' : `The ${accountCount(created)} this deployment added were removed again.`}${reinvited}`;
}

/** What a playback did: the execution, the restore it planned, and the accounts it created that are still members. */
export interface PlayedBack {
  readonly execution: Execution;
  readonly restore: Restore;
  readonly leftovers: string[];
  readonly problems: AccountProblem[];
}

/**
 * Plays back `loaded`'s run (its state says what it left under way) and, once complete, puts
 * the claim back (keeping accounts it created that are left).
 */
export async function playBack(run: RunContext, loaded: LoadedJournal): Promise<PlayedBack> {
  const journal = loaded.record;
  const secret = await run.ledger.loadJournalSecret(journal);
  const before = decodePrior(journal, secret);
  const api = memberApi(run, { message: secret.message, disableEmailNotification: journal.options.disableEmailNotification });
  const { live, elsewhere, restore, underWay } = await planPlayback(run, journal, loaded.state.progress, api, before, secret);
  if (underWay.length > 0) return awaiting(run, restore, underWay);
  // Through: what the playback associates again from here on is not awaited as leaving.
  if (loaded.state.progress.underWay !== undefined) {
    await recordsOf(run).writeState(journal, { ...loaded.state, progress: withUnderWay(loaded.state.progress, []) });
  }
  // Settings of the accounts the playback removes first (they get their plans back before they
  // go); the others' after the membership playback.
  const deadline = Math.min(run.deadline, undoDeadline(run));
  const removing = new Set(removedAccounts(restore.plan.removals));
  const early = await restoreSettings(run, journal, api, live, deadline, (id) => removing.has(id));
  const execution = await execute(api, restore.plan, live, {
    restoring: true,
    invite: false,
    removal: 'DELETE',
    failOnUnprocessed: false,
    inviteAfterCreate: new Set(restore.reinvited),
    log: run.log,
    deadline,
    requestId: run.requestId,
  });
  const late = execution.complete
    ? await restoreSettings(run, journal, api, new Map(), deadline, (id) => !removing.has(id), true)
    : { problems: [], complete: false };
  const settings = { problems: [...early.problems, ...late.problems], complete: early.complete && late.complete };
  const failed = new Set(execution.problems.map((p) => p.accountId));
  const created = [...before].filter(([id, prior]) => prior === undefined && !elsewhere.has(id)).map(([id]) => id);
  // Out of time, any created account may still be a member: the claim keeps them all.
  const leftovers = created.filter((id) => !execution.complete || failed.has(id));
  if (execution.problems.length > 0 || !execution.complete) {
    run.log.error('the playback could not restore every account', { problems: execution.problems, complete: execution.complete, leftovers });
  }
  if (execution.complete) {
    await recordsOf(run).restoreClaim(journal, leftovers);
  }
  const problems = [
    ...settings.problems,
    ...execution.problems,
    ...restore.missingEmail.map((accountId) => ({ accountId, operation: 'CreateMembers', reason: 'no email recorded to recreate it with' })),
  ];
  const complete = execution.complete && settings.complete;
  return { execution: { ...execution, complete }, restore, leftovers, problems };
}

/** The restore of `journal`'s run, from live state and what other declarations hold. */
async function planPlayback(run: RunContext, journal: JournalRecord, progress: RunProgress, api: MemberApi, before: Map<string, PriorState>,
  secret: JournalSecret): Promise<{ live: Map<string, LiveMember>; elsewhere: Set<string>; restore: Restore; underWay: string[] }> {
  // Removals the run left under way read as members until they are through: awaited first.
  const underWay = await awaitUnderWay(run, api, progress, Math.min(run.deadline, undoDeadline(run)));
  const previous = run.own ? journalPrevious(run.own, journal) : [];
  // What other claims record, and what the stack's other journals of the same operation put
  // back, say what others hold: the siblings a claim recorded may have changed since, and an
  // account another claim's OU took in since it ran is not that claim's until it runs (kept
  // for it, it would stay with no claim recording it, and the rollback would not be exact).
  const [live, elsewhere] = await Promise.all([
    readAccounts(api, [...before.keys()]),
    heldElsewhere(run, new Set(before.keys()), NO_SIBLINGS, pendingRestores(run, journal.operation), true),
  ]);
  const restore = planRestore({
    statuses: api.statuses,
    before,
    live: [...live.values()],
    held: new Set([...previous, ...elsewhere]),
    heldElsewhere: elsewhere,
    unmanaged: new Set(decodeAccounts(journal.unmanaged)),
    emails: new Map(Object.entries(secret.create)),
  });
  logRestore(run, restore);
  return { live, elsewhere, restore, underWay };
}

/** A playback that waits for removals still under way: nothing is changed before they are through. */
function awaiting(run: RunContext, restore: Restore, underWay: readonly string[]): PlayedBack {
  run.log.info('the playback awaits removals still under way', { accounts: underWay });
  return { execution: { summary: emptySummary(), problems: [], complete: false, learned: new Map() }, restore, leftovers: [], problems: [] };
}

function logRestore(run: RunContext, restore: Restore): void {
  run.log.info('restore', {
    remove: removedAccounts(restore.plan.removals),
    recreate: restore.plan.additions.create.map((m) => m.accountId),
    invite: restore.plan.additions.invite,
    reinvite: restore.reinvited,
    released: restore.released,
    inexact: restore.inexact,
    missingEmail: restore.missingEmail,
    keptEmail: restore.keptEmail,
  });
  if (restore.reinvited.length > 0) {
    run.log.warn('accounts the run had removed come back invited: they must accept the invitation again', { accounts: restore.reinvited });
  }
}
