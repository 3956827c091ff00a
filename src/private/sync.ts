/**
 * A scheduled sync (EventBridge, `syncSchedule`): the reconcile again between deployments, with
 * the declaration the resource's claim records (its static members, organizational units,
 * exclusions and options), so new accounts in the OUs join, drifted members are restored and
 * accounts that left are removed (within the removal guard). It runs as one more run on the
 * target: it takes the lock or skips, and it skips while the stack is being deployed.
 *
 * A sync that fails logs its reason and publishes one `SyncFailures` data point; it never throws,
 * so Lambda's asynchronous retries do not run it again in a loop.
 */
import { randomUUID } from 'crypto';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceUpdateEvent } from 'aws-lambda';
import { continueEvent, ContinuedEvent, EventContext } from './deployment';
import { describeError } from './engine';
import { TargetLedger } from './ledger/ledger';
import { ParameterStore } from './ledger/writer';
import { encodeMember, ReconcileProperties, SCHEMA_VERSION, SYNC_FAILURES_METRIC, SYNC_METRIC_NAMESPACE } from './properties';
import { memberService } from './services/registry';


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
  readonly outcome: 'synced' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly summary?: Record<string, string | number>;
}

export function isSyncEvent(event: object): event is SyncEvent {
  return 'CdkSecurityMembersSync' in event;
}

export async function runSync(event: SyncEvent, ctx: EventContext): Promise<SyncResult> {
  const request = event.CdkSecurityMembersSync;
  const service = memberService(request.Service);
  try {
    if (!service) {
      throw new Error(`Service: '${request.Service}' is no member service`);
    }
    const { iamPrefix, ledgerId } = service.definition;
    const ledger = new TargetLedger(new ParameterStore(ctx.clients(SSMClient)), iamPrefix, ledgerId(request.Target));
    const path = ledger.claimPath({ stackId: request.StackId, logicalId: request.LogicalId });
    const { claims } = await ledger.load();
    const own = claims.find((c) => c.path === path && c.record.stackId === request.StackId && c.record.logicalId === request.LogicalId);
    if (!own) {
      ctx.log.warn('sync skipped: the resource has no claim (not deployed yet, or deleted)', { target: request.Target });
      return { outcome: 'skipped', reason: 'no claim' };
    }
    const declaration = (await ledger.loadSecrets(path)).declaration?.value;
    const declared = own.record.declaration;
    const props: ReconcileProperties = {
      Service: service.definition.name,
      ...(service.definition.target.property ? { [service.definition.target.property]: request.Target } : {}),
      Members: (declaration?.members ?? []).map(([accountId, email]) => encodeMember({ accountId, email })),
      Message: declaration?.message,
      Invite: String(declared.invite),
      DisableEmailNotification: String(declared.disableEmailNotification),
      MemberRemoval: declared.memberRemoval,
      FailOnUnprocessed: String(declared.failOnUnprocessed),
      RemovalPolicy: declared.removalPolicy,
      MaxRemovals: declared.maxRemovals,
      OrganizationalUnits: [...declared.organizationalUnits],
      ExcludeAccounts: [...declared.excludeAccounts],
      Schema: SCHEMA_VERSION,
    };
    const requestId = `sync-${randomUUID()}`;
    const base: Omit<CloudFormationCustomResourceUpdateEvent, 'ResourceProperties' | 'OldResourceProperties'> = {
      RequestType: 'Update',
      ServiceToken: '',
      ResponseURL: '',
      StackId: request.StackId,
      RequestId: requestId,
      LogicalResourceId: request.LogicalId,
      ResourceType: service.definition.resourceType,
      PhysicalResourceId: request.Target,
    };
    const continued = {
      ...base,
      ResourceProperties: { ServiceToken: '', ...props },
      OldResourceProperties: { ServiceToken: '', ...props },
      CdkSecurityMembers: { startedAt: Date.now(), runId: randomUUID(), rollback: false, sync: { fingerprint: own.record.fingerprint } },
    } as unknown as ContinuedEvent;
    const slice = await continueEvent(continued, ctx);
    const skipped = slice.Data?.Skipped;
    if (skipped !== undefined) {
      return { outcome: 'skipped', reason: String(skipped) };
    }
    ctx.log.info('synced', { ...slice.Data });
    return { outcome: 'synced', summary: slice.Data };
  } catch (err) {
    const reason = describeError(err);
    ctx.log.error('sync failed', { target: request.Target, error: reason });
    try {
      await ctx.clients(CloudWatchClient).send(new PutMetricDataCommand({
        Namespace: SYNC_METRIC_NAMESPACE,
        MetricData: [{
          MetricName: SYNC_FAILURES_METRIC,
          Dimensions: [{ Name: 'Service', Value: request.Service }, { Name: 'Target', Value: request.Target }],
          Value: 1,
          Unit: 'Count',
        }],
      }));
    } catch (metricError) {
      ctx.log.error('the sync failure metric could not be published', { error: describeError(metricError) });
    }
    return { outcome: 'failed', reason };
  }
}
