/**
 * Custom-resource handler for every member construct, called by the CDK Provider framework
 * (which answers CloudFormation): once as its onEvent handler and then as its isComplete handler
 * until the work is done, and by the sync schedules. Thin: it tells the calls apart and leaves
 * the work to the run (`run/`).
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { invocationClients } from './clients';
import { describeError, ReconcileError } from './engine';
import { jsonLogger } from './logger';
import { InvocationContext, settingsAllowedIn } from './run/context';
import { continueEvent, ContinuedEvent, startEvent, StartResult } from './run/event';
import { SliceResult } from './run/outcome';
import { isSyncEvent, runSync, SyncEvent, SyncResult } from './run/sync';
import { ClientFactory } from './services/member-service';

export { clientConfig, invocationClients, MAX_ATTEMPTS, RATE_LIMITER_OPTIONS, THROTTLING_BACKOFF_BASE_MS } from './clients';

/** Time kept back from the Lambda timeout for undo and the response. */
export const TIME_RESERVE_MS = 90_000;

/** What the handler needs of the Lambda context. */
export type HandlerContext = Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn'>;

function eventContext(event: CloudFormationCustomResourceEvent | SyncEvent, context: HandlerContext | undefined,
  clients: ClientFactory): InvocationContext {
  const fields = isSyncEvent(event)
    ? { requestType: 'Sync', logicalResourceId: event.CdkSecurityMembersSync.LogicalId, service: event.CdkSecurityMembersSync.Service }
    : {
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      requestId: event.RequestId,
      service: (event.ResourceProperties as { Service?: string }).Service,
    };
  return {
    clients,
    log: jsonLogger(fields),
    adminAccount: context?.invokedFunctionArn?.split(':')[4],
    deadline: context ? Date.now() + context.getRemainingTimeInMillis() - TIME_RESERVE_MS : Number.POSITIVE_INFINITY,
    settingsAllowed: settingsAllowedIn(process.env),
  };
}

function isContinued(event: object): event is ContinuedEvent {
  return 'CdkSecurityMembers' in event;
}

/** Both Provider framework calls, told apart by the state onEvent returned, and the schedule's syncs. */
export async function route(event: CloudFormationCustomResourceEvent | ContinuedEvent | SyncEvent, context: HandlerContext | undefined,
  clients: ClientFactory = invocationClients()): Promise<StartResult | SliceResult | SyncResult> {
  const ctx = eventContext(event, context, clients);
  if (isSyncEvent(event)) {
    return runSync(event, ctx);
  }
  return isContinued(event) ? continueEvent(event, ctx) : startEvent(event, ctx);
}

export interface HandlerResponse {
  readonly PhysicalResourceId: string;
  readonly Data: Record<string, string | number>;
}

/**
 * The whole event in one go, as the Provider framework would run it: onEvent, then isComplete
 * until complete (without its pause between calls). For tests and tools.
 */
export async function handleEvent(event: CloudFormationCustomResourceEvent, context: HandlerContext | undefined,
  clients: ClientFactory = invocationClients(), maxInvocations = 1000): Promise<HandlerResponse> {
  const started = await startEvent(event, eventContext(event, context, clients));
  const continued = { ...event, ...started } as ContinuedEvent;
  for (let i = 0; i < maxInvocations; i++) {
    const slice = await continueEvent(continued, eventContext(event, context, clients));
    if (slice.IsComplete) {
      return { PhysicalResourceId: started.PhysicalResourceId, Data: slice.Data ?? {} };
    }
  }
  throw new Error(`not complete after ${maxInvocations} invocations`);
}

export async function handler(event: CloudFormationCustomResourceEvent | ContinuedEvent | SyncEvent,
  context: Context): Promise<StartResult | SliceResult | SyncResult> {
  const clients = invocationClients();
  try {
    return await route(event, context, clients);
  } catch (err) {
    if (err instanceof ReconcileError) {
      throw err;
    }
    // Unexpected errors (access denied, a bug) still end in a FAILED response with a reason.
    // (A sync never throws: it reports its own failures.)
    const request = event as CloudFormationCustomResourceEvent;
    const reason = describeError(err);
    console.error({ message: 'reconcile failed', requestType: request.RequestType, requestId: request.RequestId, error: reason });
    throw new ReconcileError(`${reason.slice(0, 2000)} (request ${request.RequestId})`);
  } finally {
    clients.destroy();
  }
}
