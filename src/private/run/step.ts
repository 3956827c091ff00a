/**
 * A forward run's share of work in one invocation: the membership changes of its plan, then the
 * declared members' settings (GuardDuty's protection plans); then done, continue in the next
 * invocation, or fail (a create is undone here, an update is put back by CloudFormation's
 * rollback, a sync leaves it to the next run).
 */
import { RUN_BUDGET_MS } from './budgets';
import { recordsOf } from './claim';
import { RunContext, writeCensus } from './context';
import { addProgress, writeState } from './journal';
import { CONTINUE, done, SliceResult } from './outcome';
import { Started } from './resume';
import { withUnderWay } from './under-way';
import { stopped } from './undo';
import { accountCount, execute, Execution, failureReason, readAccounts, ReconcileError } from '../engine';
import { applySettings, SettingsOutcome } from '../execution/settings';
import { RunProgress } from '../ledger/records';
import { AccountProblem, LiveMember, operationName, removedAccounts } from '../planner';

type Failure = { readonly problems: readonly AccountProblem[]; readonly headline: string };

export async function step(run: RunContext, started: Started): Promise<SliceResult> {
  const { journal, api, plan } = started;
  const sync = journal.kind === 'Sync';
  const deadline = Math.min(run.deadline, sync ? Number.POSITIVE_INFINITY : run.startedAt + RUN_BUDGET_MS);
  const execution = await execute(api, plan, started.read.live, {
    invite: journal.options.invite,
    removal: journal.options.removal,
    failOnUnprocessed: journal.options.failOnUnprocessed,
    log: run.log,
    deadline,
    requestId: run.requestId,
    organizationAccounts: started.organizationAccounts,
    memberCount: started.read.total,
  });
  let progress = withUnderWay(addProgress(started.progress, execution.summary), [...started.underWay, ...execution.underWay ?? []]);
  if (execution.problems.length > 0 && journal.options.failOnUnprocessed) {
    return failed(run, started, membershipFailure(run, started, execution), progress);
  }
  const settings = execution.complete ? await settingsStep(run, started, execution, deadline) : undefined;
  if (settings) {
    progress = { ...progress, settingsChanged: (progress.settingsChanged ?? 0) + settings.changed, settingsPending: settings.pending.length };
    if (settings.problems.length > 0 && journal.options.failOnUnprocessed) {
      return failed(run, started, settingsFailure(run, started, settings), progress);
    }
  }
  // Removals still under way: the run is not through until they are (the next invocation awaits them).
  if (!execution.complete || (settings && !settings.complete) || progress.underWay !== undefined) {
    return outOfInvocation(run, started, execution, progress);
  }
  const ignored = [...execution.problems, ...(settings?.problems ?? [])];
  if (ignored.length > 0) {
    run.log.warn('unprocessed accounts ignored (failOnUnprocessed is false)', { problems: ignored });
  }
  await Promise.all([writeState(run, journal, 'done', progress), writeCensus(run, started.read, progress.created - progress.removed)]);
  const summary = { ...execution.summary, ...progress };
  run.log.info('reconciled', { ...summary });
  if (settings?.pending.length) {
    run.log.info(`${api.settings!.noun}s pending: applied once these accounts are associated (they accept the invitation)`, { accounts: settings.pending });
  }
  return done(run.service.definition, run.target, summary, settingsData(journal.options.settings !== undefined, progress));
}

/** The resource's attributes for settings, when the declaration manages any. */
function settingsData(declared: boolean, progress: RunProgress): Record<string, number> {
  return declared ? { PlansChanged: progress.settingsChanged ?? 0, PlansPending: progress.settingsPending ?? 0 } : {};
}

/** Work left for the next invocation (a sync has one: the next run takes over from its journal). */
async function outOfInvocation(run: RunContext, started: Started, execution: Execution, progress: RunProgress): Promise<SliceResult> {
  const { journal } = started;
  if (journal.kind === 'Sync') {
    run.log.warn('sync out of time: the next sync continues', { ...progress });
    await writeState(run, journal, 'failed', progress, `${run.service.definition.name}: the sync ran out of time.`);
    const data = settingsData(journal.options.settings !== undefined, progress);
    return { ...done(run.service.definition, run.target, { ...execution.summary, ...progress }, data), Unfinished: true };
  }
  run.log.info('continuing in the next invocation', { ...progress });
  await writeState(run, journal, 'running', progress);
  return CONTINUE;
}

/**
 * The declared members' settings, once membership is done: members whose state the run does
 * not know yet (a continuation read only its journal's scope) are read first.
 */
async function settingsStep(run: RunContext, started: Started, execution: Execution, deadline: number): Promise<SettingsOutcome | undefined> {
  const declared = started.journal.options.settings;
  const api = started.api.settings;
  if (!declared || !api || Object.keys(declared).length === 0) return undefined;
  const live = new Map<string, LiveMember>(started.read.live);
  execution.learned.forEach((member, id) => live.set(id, member));
  const created = new Set(started.plan.additions.create.map((m) => m.accountId).filter((id) => !execution.learned.has(id)));
  const unknown = started.desired.filter((id) => !live.has(id) && !created.has(id));
  if (unknown.length > 0) (await readAccounts(started.api, unknown)).forEach((member, id) => live.set(id, member));
  const records = recordsOf(run);
  return applySettings({
    api,
    statuses: started.api.statuses,
    declared,
    accounts: started.desired.filter((id) => live.has(id) || created.has(id)),
    live,
    created,
    log: run.log,
    deadline,
    journal: (prior) => records.writeSettingsPrior(started.journal, prior),
  });
}

function membershipFailure(run: RunContext, started: Started, execution: Execution): Failure {
  const failedCount = new Set(execution.problems.map((p) => p.accountId)).size;
  const removing = removedAccounts(started.plan.removals).length;
  const removalOperations = ['DisassociateMembers', 'DeleteMembers'].flatMap((op) => [op, operationName(started.api.statuses, op)]);
  const inRemovals = removing > 0 && execution.problems.every((p) => removalOperations.includes(p.operation));
  run.log.error(inRemovals ? 'removals failed' : 'additions failed', { problems: execution.problems });
  return {
    problems: execution.problems,
    headline: inRemovals
      ? `${accountCount(failedCount)} of ${removing} to remove could not be removed`
      : `${accountCount(failedCount)} of ${started.declared} declared could not be brought to the declared state`,
  };
}

function settingsFailure(run: RunContext, started: Started, settings: SettingsOutcome): Failure {
  const failedCount = new Set(settings.problems.map((p) => p.accountId)).size;
  run.log.error(`${started.api.settings!.noun}s failed`, { problems: settings.problems });
  return { problems: settings.problems, headline: `the ${started.api.settings!.noun}s of ${accountCount(failedCount)} could not be set as declared` };
}

/** Failed accounts with failOnUnprocessed: a create is undone here; an update is put back by CloudFormation's rollback. */
async function failed(run: RunContext, started: Started, failure: Failure, progress: RunProgress): Promise<SliceResult> {
  const { journal } = started;
  if (journal.options.undoOnFailure) {
    return stopped(run, { record: journal, generation: '', state: { requestId: journal.requestId, phase: 'running', progress } },
      { kind: 'failed', detail: failure.headline, problems: failure.problems, headline: failure.headline });
  }
  const epilogue = journal.kind === 'Sync' ? 'Nothing was removed; the next sync or deployment tries again.' : progress.removed > 0
    ? `CloudFormation's rollback restores the ${accountCount(progress.removed)} this deployment removed (invited accounts must accept again) and removes what it added.`
    : 'No member was removed; CloudFormation\'s rollback removes what this deployment added.';
  const reason = failureReason(run.service.definition.name, failure.problems, failure.headline, epilogue, run.requestId);
  await writeState(run, journal, 'failed', progress, reason);
  throw new ReconcileError(reason);
}
