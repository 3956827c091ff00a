/**
 * A resource leaves (not a rollback): the accounts its claim holds leave the target unless
 * another declaration holds them (none with RETAIN), and its records go. A resource that leaves
 * a stack that goes on is under the removal guard, as an update is; only deleting the stack
 * itself removes more.
 */
import { checkGuard, GuardError } from './checks';
import { recordsOf } from './claim';
import { LiveRead, memberApi, readLive, RunContext, resolveUnits, writeCensus } from './context';
import { CONTINUE, done, SliceResult } from './outcome';
import { heldElsewhere, NO_SIBLINGS } from './protection';
import { undoDeadline } from './undo';
import { Declaration } from '../declaration';
import { accountCount, execute, failureReason, MemberApi, ReconcileError } from '../engine';
import { isUnfinished, journalPrevious } from '../ledger/held';
import { claimAccounts } from '../ledger/ledger';
import { planDeletion, removalLimit, removalsOnly, removedAccounts } from '../planner';

/** What the resource holds: its claim's accounts (and what an unfinished run of it had yet to remove), or, without a claim, its properties'. */
async function heldAccounts(run: RunContext, declaration: Declaration, targetFromProperties: boolean): Promise<string[] | undefined> {
  const own = run.own;
  if (own?.record) {
    const unfinished = isUnfinished(own.journal) ? journalPrevious(own, own.journal.record) : [];
    return [...new Set([...claimAccounts(own), ...unfinished])];
  }
  if (targetFromProperties) {
    // The physical ID was never a target (the create failed or was cancelled): only a claim that
    // run wrote may say what it holds, never the properties.
    run.log.info('no claim under the target the properties name: nothing to remove', { target: run.target });
    return undefined;
  }
  // No claim (deployed by a version without the ledger, or its records were deleted by hand): the properties say what it declared.
  const fromUnits = declaration.organizationalUnits.length > 0
    ? [...(await resolveUnits(run, declaration.organizationalUnits, declaration.excludeAccounts)).accounts.keys()]
    : [];
  return [...new Set([...declaration.members.map((m) => m.accountId), ...fromUnits])];
}

/** Whether the stack itself is being deleted (a nested stack's root too): then no removal guard. */
function stackDeleting(run: RunContext): boolean {
  return run.stack.status === 'DELETE_IN_PROGRESS' || run.stack.rootStatus === 'DELETE_IN_PROGRESS' || run.stack.status === undefined;
}

export async function destroy(run: RunContext, declaration: Declaration, targetFromProperties: boolean): Promise<SliceResult> {
  const { definition } = run.service;
  const records = recordsOf(run);
  const held = await heldAccounts(run, declaration, targetFromProperties);
  if (!held || declaration.removalPolicy === 'RETAIN' || held.length === 0) {
    run.log.info(held && held.length > 0 ? 'removalPolicy RETAIN: the members stay, the claim goes' : 'nothing held: nothing to remove', { accounts: held?.length ?? 0 });
    await records.deleteAll();
    return done(definition, run.target);
  }
  const api = memberApi(run, { message: declaration.message, disableEmailNotification: declaration.disableEmailNotification });
  const read = await readUnlessGone(run, api, held);
  if (!read) {
    await records.deleteAll();
    return done(definition, run.target);
  }
  // Only what other claims record counts: the Siblings of a Delete's properties are those of the
  // resource's last deployment (by its Delete the stack's other constructs have written their
  // claims, or are being deleted with the stack), and an account another declaration's OU took
  // in since that declaration last ran is its to add when it runs (this claim cannot keep it for it).
  const protectedIds = await heldElsewhere(run, new Set(held), NO_SIBLINGS, undefined, true);
  const removals = planDeletion(api.statuses, held, [...read.live.values()], declaration.removal, protectedIds);
  const removing = removedAccounts(removals);
  run.log.info('plan (delete)', { held: held.length, disassociate: removals.disassociate, delete: removals.delete, keptHeldElsewhere: held.filter((id) => protectedIds.has(id)) });
  if (!stackDeleting(run)) {
    checkDeleteGuard(run, declaration, held.length, removing.length);
  }
  const execution = await execute(api, removalsOnly(api.statuses, removals), read.live, {
    invite: false,
    removal: declaration.removal,
    failOnUnprocessed: declaration.failOnUnprocessed,
    log: run.log,
    deadline: Math.min(run.deadline, undoDeadline(run)),
    requestId: run.requestId,
  });
  if (!execution.complete) {
    if (Date.now() < undoDeadline(run)) return CONTINUE;
    // Before the Provider framework's own timeout, with a reason: the claim still holds the rest.
    const minutes = Math.round((undoDeadline(run) - run.startedAt) / 60_000);
    throw new ReconcileError(`${definition.name}: removing ${accountCount(removing.length)} did not finish within ${minutes} minutes ` +
      `(${execution.summary.removed} removed); the claim holds the rest: delete again to continue (the log of request ${run.requestId} says what slowed it).`);
  }
  if (execution.problems.length > 0) {
    if (declaration.failOnUnprocessed) {
      run.log.error('removals failed', { problems: execution.problems });
      const count = new Set(execution.problems.map((p) => p.accountId)).size;
      throw new ReconcileError(failureReason(definition.name, execution.problems,
        `${accountCount(count)} of ${removing.length} to remove could not be removed`, undefined, run.requestId));
    }
    run.log.warn('unprocessed accounts ignored (failOnUnprocessed is false)', { problems: execution.problems });
  }
  await writeCensus(run, read, -execution.summary.removed);
  await records.deleteAll();
  run.log.info('removed', { ...execution.summary });
  return done(definition, run.target, execution.summary);
}

/** The held accounts' live states, or undefined when the target itself is gone (nothing to remove). */
async function readUnlessGone(run: RunContext, api: MemberApi, held: string[]): Promise<LiveRead | undefined> {
  try {
    return await readLive(run, api, held);
  } catch (err) {
    if (!(err instanceof ReconcileError) && await run.service.targetGone(err, run.clients, run.target)) {
      run.log.warn(`${run.service.definition.target.noun} is gone: nothing to remove`, { target: run.target });
      return undefined;
    }
    throw err;
  }
}

/** The removal guard for a resource leaving a stack that goes on: the reason says how to release what it holds. */
function checkDeleteGuard(run: RunContext, declaration: Declaration, previousCount: number, removing: number): void {
  const limit = removalLimit(previousCount, declaration.maxRemovals);
  try {
    checkGuard(run, { removalLimit: limit, previousCount, maxRemovals: declaration.maxRemovals }, removing, 'Delete');
  } catch (err) {
    if (!(err instanceof GuardError)) throw err;
    run.log.error('removal guard: the resource leaves the stack, its members stay', { removing, limit });
    throw new GuardError(`${err.message} This resource left a stack that goes on: after its retries CloudFormation skips this ` +
      'Delete and completes the update, and the claim keeps the members (`cdk-security-members plan` shows it). To release them, add ' +
      'the construct back under the same ID with maxRemovals (or removalPolicy RETAIN to keep them unclaimed), deploy, then remove it ' +
      'and deploy again; deleting the whole stack removes them without a limit.');
  }
}
