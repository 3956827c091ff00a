/**
 * CloudFormation's rollbacks, read from the journal only: the rollback Update of a resource the
 * failed deployment updated, and the rollback Delete of one it created. What the failed run
 * changed is played back and the claim goes back to the generation before it.
 */
import { recordsOf } from './claim';
import { RunContext } from './context';
import { writeState } from './journal';
import { CONTINUE, done, namedAccounts, SliceResult } from './outcome';
import { playBack, undoDeadline } from './undo';
import { accountCount, failureReason, ReconcileError } from '../engine';

/** Update while the stack rolls back: play back the failed update (the one that brought the properties to `failedFingerprint`). */
export async function rollbackUpdate(run: RunContext, failedFingerprint: string | undefined): Promise<SliceResult> {
  const journal = run.own?.journal;
  const { definition } = run.service;
  if (!journal || journal.record.kind === 'Sync' || journal.record.to !== failedFingerprint || journal.state.phase === 'undone') {
    run.log.info('rollback: the failed deployment changed nothing here', { phase: journal?.state.phase });
    return done(definition, run.target);
  }
  const played = await playBack(run, journal);
  if (!played.execution.complete && Date.now() < undoDeadline(run)) {
    return CONTINUE;
  }
  if (played.execution.complete) {
    await writeState(run, journal.record, 'undone', journal.state.progress, `${definition.name}: rolled back.`);
  }
  // Failing here would leave the stack in UPDATE_ROLLBACK_FAILED: the log says what is left, and
  // the claim keeps what the update created, for the next deployment to remove.
  run.log.info('rolled back', { ...played.execution.summary, reinvited: played.restore.reinvited.length });
  return done(definition, run.target, played.execution.summary, { Reinvited: played.restore.reinvited.length });
}

/** Delete while the stack rolls back: the failed deployment created this resource; what it did goes. */
export async function rollbackDelete(run: RunContext): Promise<SliceResult> {
  const { definition } = run.service;
  const records = recordsOf(run);
  const journal = run.own?.journal;
  const playable = journal && journal.record.kind !== 'Sync' && journal.state.phase !== 'undone';
  if (!playable) {
    // Nothing to play back (the run undid itself, or never started): its records go, unless the
    // resource took back an earlier claim (a construct added again under its old ID), which stays.
    if (!run.own?.record || !journal?.record.previousClaim) await records.deleteAll();
    run.log.info('rollback delete: nothing left to undo', { phase: journal?.state.phase });
    return done(definition, run.target);
  }
  const played = await playBack(run, journal);
  if (!played.execution.complete && Date.now() < undoDeadline(run)) {
    return CONTINUE;
  }
  if (!played.execution.complete || played.leftovers.length > 0) {
    // The stack's rollback fails (ROLLBACK_FAILED): deleting the stack removes what the claim keeps.
    throw new ReconcileError(failureReason(definition.name, played.problems,
      `${accountCount(played.leftovers.length)} created by the failed deployment could not be removed`,
      `The claim keeps ${namedAccounts(played.leftovers)}: deleting the stack (or this resource) removes them.`, run.requestId));
  }
  await writeState(run, journal.record, 'undone', journal.state.progress, `${definition.name}: rolled back.`);
  if (!journal.record.previousClaim) await records.deleteAll();
  return done(definition, run.target, played.execution.summary, { Reinvited: played.restore.reinvited.length });
}
