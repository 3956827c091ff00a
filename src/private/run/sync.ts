/**
 * A scheduled sync (EventBridge, `syncSchedule`): a deployment of the declaration the resource's
 * claim records (static members, organizational units, exclusions, options and the stack's other
 * constructs), through the same locked, journaled run as a deployment, so new accounts in the OUs
 * join, drifted members are restored and accounts that left are removed (within the removal
 * guard). It never waits for the lock, and runs only while its stack is settled
 * (`*_COMPLETE`): a failed deployment's journal, which its rollback needs, is never replaced.
 *
 * A sync that fails logs its reason and publishes one `SyncFailures` data point; it never throws,
 * so Lambda's asynchronous retries do not run it again in a loop.
 */
import { randomUUID } from 'crypto';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { LOCK_TTL_MS } from './budgets';
import { InvocationContext, openRun, RunContext } from './context';
import { underLock } from './event';
import { forward } from './forward';
import { SliceResult } from './outcome';
import { declarationOfClaim } from '../declaration';
import { describeError } from '../engine';
import { isUnfinished } from '../ledger/held';
import { SYNC_FAILURES_METRIC, SYNC_METRIC_NAMESPACE } from '../properties';
import { memberService } from '../services/registry';
import { isInProgress, isSettled } from '../stacks';

/** What the schedule's rule sends: which resource's claim to sync. */
export interface SyncRequest {
  readonly Service: string;
  /** The resource's physical ID: the detector, graph or hub. */
  readonly Target: string;
  readonly StackId: string;
  readonly LogicalId: string;
}

export interface SyncEvent {
  readonly CdkSecurityMembersSync: SyncRequest;
}

export interface SyncResult {
  /** `unfinished`: out of time, the next sync (or deployment) continues from the journal. */
  readonly outcome: 'synced' | 'unfinished' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly summary?: Record<string, string | number>;
}

export function isSyncEvent(event: object): event is SyncEvent {
  return 'CdkSecurityMembersSync' in event;
}

/** Why a sync does not run now (a short code, and what the log says), or undefined when it may. */
function skipReason(run: RunContext): { code: string; detail: string } | undefined {
  if (!run.own?.record) {
    return { code: 'no claim', detail: 'the resource has no claim (not deployed yet, or deleted)' };
  }
  if (!isSettled(run.stack)) {
    const status = `${run.stack.status}${run.stack.rootStatus ? `, root stack ${run.stack.rootStatus}` : ''}`;
    return isInProgress(run.stack.status) || isInProgress(run.stack.rootStatus)
      ? { code: 'deploying', detail: `the stack is being deployed (${status})` }
      : { code: 'unsettled', detail: `the stack's last deployment is not settled (${status}): its rollback may still need the journal` };
  }
  const journal = run.own.journal;
  if (isUnfinished(journal) && journal.record.kind !== 'Sync') {
    return { code: 'unfinished', detail: `a deployment's run of the resource is unfinished (${journal.state.phase})` };
  }
  return undefined;
}

export async function runSync(event: SyncEvent, invocation: InvocationContext): Promise<SyncResult> {
  const request = event.CdkSecurityMembersSync;
  try {
    const service = memberService(request.Service);
    if (!service) {
      throw new Error(`Service: '${request.Service}' is no member service`);
    }
    const base = openRun(invocation, {
      service,
      target: request.Target,
      key: { stackId: request.StackId, logicalId: request.LogicalId },
      requestId: `sync-${randomUUID()}`,
      owner: `sync-${randomUUID()}`,
      startedAt: Date.now(),
    });
    const lock = await base.ledger.lock.acquire(base.owner, LOCK_TTL_MS);
    if (!lock.acquired) {
      invocation.log.info('sync skipped: another run holds the target', { holder: lock.holder });
      return { outcome: 'skipped', reason: 'locked' };
    }
    let skipped: { code: string; detail: string } | undefined;
    const slice: SliceResult = await underLock(base, async (run) => {
      skipped = skipReason(run);
      if (skipped) return { IsComplete: true };
      const declaration = declarationOfClaim(service, run.own!.record!, await run.ledger.loadDeclaration(run.own!.record!.declarationRecord));
      return forward(run, { kind: 'Sync', declaration });
    });
    if (skipped) {
      invocation.log.info(`sync skipped: ${skipped.detail}`);
      return { outcome: 'skipped', reason: skipped.code };
    }
    if (slice.Unfinished) {
      return { outcome: 'unfinished', reason: 'the sync ran out of time: the next sync continues', summary: slice.Data };
    }
    invocation.log.info('synced', { ...slice.Data });
    return { outcome: 'synced', summary: slice.Data };
  } catch (err) {
    return failedSync(request, invocation, err);
  }
}

async function failedSync(request: SyncRequest, invocation: InvocationContext, err: unknown): Promise<SyncResult> {
  const reason = describeError(err);
  invocation.log.error('sync failed', { target: request.Target, error: reason });
  try {
    await invocation.clients(CloudWatchClient).send(new PutMetricDataCommand({
      Namespace: SYNC_METRIC_NAMESPACE,
      MetricData: [{
        MetricName: SYNC_FAILURES_METRIC,
        Dimensions: [{ Name: 'Service', Value: request.Service }, { Name: 'Target', Value: request.Target }],
        Value: 1,
        Unit: 'Count',
      }],
    }));
  } catch (metricError) {
    invocation.log.error('the sync failure metric could not be published', { error: describeError(metricError) });
  }
  return { outcome: 'failed', reason };
}
