/**
 * The checks a run makes before it changes members, in every invocation, on what it is about to
 * do: the removal guard and the service's quota.
 */
import { RunContext } from './context';
import { accountCount, ReconcileError } from '../engine';
import { RunKind, RunOptions } from '../ledger/records';
import { Plan, quotaReason, removalGuardReason } from '../planner';

/** The removal guard, on what this invocation is about to remove plus what the run removed before. */
export function checkGuard(run: RunContext, options: Pick<RunOptions, 'removalLimit' | 'previousCount' | 'maxRemovals'>, removing: number, kind: RunKind | 'Delete', removedBefore = 0): void {
  if (removing === 0 || removedBefore + removing <= options.removalLimit) return;
  const { name, target } = run.service.definition;
  const what = kind === 'Sync' ? 'sync' : kind === 'Delete' ? 'removal of the resource' : 'deployment';
  const reason = removalGuardReason(name, target.noun, removedBefore + removing, options.previousCount, options.maxRemovals, what);
  throw new GuardError(reason ?? `${name}: the removal guard refused ${accountCount(removing)}.`);
}

/** The removal guard refused: nothing of this invocation's removals happened. */
export class GuardError extends ReconcileError {}

export function checkQuota(run: RunContext, plan: Plan, total: number): void {
  const reason = quotaReason(run.service.definition.name, plan, total);
  if (reason) throw new ReconcileError(reason);
}
