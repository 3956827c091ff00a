/**
 * The checks a run makes before it changes members, in every invocation, on what it is about to
 * do: the removal guard and the service's quota.
 */
import { RunContext } from './context';
import { liveOthers } from './protection';
import { accountCount, ReconcileError } from '../engine';
import { claimAccounts, stackNameOf } from '../ledger/ledger';
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

/**
 * Two declarations setting the same setting of the same account differently (one construct's
 * protection plans against another stack's): the deployment fails before any change, naming the
 * other declaration, the account and the setting.
 */
export function checkSettingsConflicts(run: RunContext, settings: Readonly<Record<string, string>> | undefined, desired: ReadonlySet<string>): void {
  if (!settings) return;
  for (const other of liveOthers(run)) {
    const theirs = other.record?.declaration.settings;
    if (!theirs) continue;
    const key = Object.keys(settings).find((k) => theirs[k] !== undefined && theirs[k] !== settings[k]);
    if (key === undefined) continue;
    const shared = claimAccounts(other).find((id) => desired.has(id));
    if (shared === undefined) continue;
    const { name } = run.service.definition;
    const where = `${stackNameOf(other.key.stackId)}/${other.key.logicalId}`;
    throw new ReconcileError(`${name}: ${key} of account ${shared} is declared ${settings[key]} here and ${theirs[key]} by ${where}; ` +
      'one declaration must manage each setting of an account (leave it out of one of them). Nothing was changed.');
  }
}
