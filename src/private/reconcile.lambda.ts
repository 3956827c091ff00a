/**
 * Custom-resource handler for every member construct, called by the CDK Provider framework
 * (which answers CloudFormation): once as its onEvent handler and then as its isComplete handler
 * until the work is done. Thin: it tells the calls apart and leaves the work to `deployment.ts`.
 */
import { AdaptiveRetryStrategy, AdaptiveRetryStrategyOptions, DefaultRateLimiter } from '@smithy/core/retry';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { continueEvent, ContinuedEvent, EventContext, SliceResult, startEvent, StartResult } from './deployment';
import { describeError, ReconcileError } from './engine';
import { jsonLogger } from './logger';
import { ClientFactory } from './services/member-service';
import { isSyncEvent, runSync, SyncEvent, SyncResult } from './sync';

/** SDK attempts per call. */
export const MAX_ATTEMPTS = 10;
/** Time kept back from the Lambda timeout for undo and the response. */
export const TIME_RESERVE_MS = 90_000;

/**
 * The adaptive rate limiter's settings. A reconcile run is short and bursty, and the SDK's
 * defaults suit long-running clients: a throttle in the limiter's first half second (before it
 * has measured a send rate) drops it to its 0.5 requests/s floor, and each throttle cuts the
 * rate to 70%. The benchmark (README, Performance) shows what these settings change.
 */
export const RATE_LIMITER_OPTIONS = { minFillRate: 5, beta: 0.85 } as const;
/** Throttled retries wait up to 250 ms, 500 ms, … (SDK: 1 s, 2 s, …): the limiter already paces new requests. */
export const THROTTLING_BACKOFF_BASE_MS = 250;

type Backoff = NonNullable<AdaptiveRetryStrategyOptions['backoff']>;

/** The SDK's jittered exponential backoff, with a shorter base for throttling errors. */
class ShortJobBackoff implements Backoff {
  private base = 0;
  setDelayBase(delay: number): void {
    this.base = Math.min(delay, THROTTLING_BACKOFF_BASE_MS);
  }
  computeNextBackoffDelay(retryAttempt: number): number {
    return Math.floor(Math.random() * Math.min(this.base * 2 ** retryAttempt, 20_000));
  }
}

/** Client settings: the SDK's adaptive retry strategy (its own rate limiter per client) for throttling and 5xx. */
export function clientConfig() {
  return {
    maxAttempts: MAX_ATTEMPTS,
    retryStrategy: new AdaptiveRetryStrategy(MAX_ATTEMPTS, {
      backoff: new ShortJobBackoff(),
      rateLimiter: new DefaultRateLimiter(RATE_LIMITER_OPTIONS),
    }),
  };
}

/**
 * Clients for one invocation, one per client class. Fresh per invocation: a retry strategy's
 * quota drained by a brownout in one invocation must not leave the next (say, the rollback
 * that follows a failed update) with a single attempt per call.
 */
export function invocationClients(overrides: object = {}): ClientFactory {
  const clients = new Map<unknown, unknown>();
  return (client) => {
    if (!clients.has(client)) {
      clients.set(client, new client({ ...clientConfig(), ...overrides }));
    }
    return clients.get(client) as InstanceType<typeof client>;
  };
}

/** What the handler needs of the Lambda context. */
export type HandlerContext = Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn'>;

function eventContext(event: CloudFormationCustomResourceEvent | SyncEvent, context: HandlerContext | undefined,
  clients: ClientFactory): EventContext {
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
  try {
    return await route(event, context);
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
  }
}
