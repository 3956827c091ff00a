/**
 * Custom-resource handler for every member construct, called by the CDK Provider framework
 * (which answers CloudFormation). Thin: it reads the request, picks the service module from the
 * registry and leaves the work to the planner and engine.
 */
import { AdaptiveRetryStrategy, AdaptiveRetryStrategyOptions, DefaultRateLimiter } from '@smithy/core/retry';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { describeError, emptySummary, ReconcileError, ReconcileOptions, ReconcileSummary, reconcile, removeDeclared } from './engine';
import { jsonLogger, Logger } from './logger';
import { RemovalMode } from './planner';
import {
  ACCOUNT_ID_PATTERN,
  decodeMember,
  EMAIL_MAX_LENGTH,
  EMAIL_PATTERN,
  MemberDeclaration,
  memberEntries,
  parseBoolean,
  ReconcileProperties,
} from './properties';
import { ClientFactory, MemberService } from './services/member-service';
import { MEMBER_SERVICES, memberService } from './services/registry';

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

export interface HandlerResponse {
  readonly PhysicalResourceId: string;
  readonly Data: Record<string, string | number>;
}

interface Settings {
  readonly service: MemberService;
  readonly members: MemberDeclaration[];
  readonly invite: boolean;
  readonly message?: string;
  readonly disableEmailNotification: boolean;
  readonly removal: RemovalMode;
  readonly failOnUnprocessed: boolean;
}

/** Members of a declaration that was deployed before; invalid entries were never applied. */
function readDeclaredMembers(props: ReconcileProperties | undefined): MemberDeclaration[] {
  const members: MemberDeclaration[] = [];
  let entries: string[];
  try {
    entries = memberEntries(props);
  } catch {
    return members; // Properties that never decoded were never applied.
  }
  entries.forEach((encoded, index) => {
    try {
      const member = decodeMember(encoded, index);
      if (ACCOUNT_ID_PATTERN.test(member.accountId) && !members.some((m) => m.accountId === member.accountId)) {
        members.push(member);
      }
    } catch {
      // Skipped: an entry that never decoded was never created either.
    }
  });
  return members;
}

/**
 * Tokens resolve at deploy time, so the handler validates the declaration again before changing
 * anything. `strict` is off for Delete, which must never be blocked by a bad declaration.
 */
function readSettings(props: ReconcileProperties, adminAccount: string | undefined, strict: boolean): Settings {
  const service = memberService(props.Service);
  if (!service) {
    const known = MEMBER_SERVICES.map((s) => s.definition.name).join(' or ');
    throw new ReconcileError(`Service: expected ${known}, got '${String(props.Service)}'`);
  }
  const flag = (name: keyof ReconcileProperties, fallback: boolean) => {
    try {
      return parseBoolean(props[name] as string | boolean | undefined, fallback);
    } catch (err) {
      if (!strict) return fallback;
      throw new ReconcileError(`${name}: ${(err as Error).message}`);
    }
  };
  const removalProp = props.MemberRemoval ?? 'DELETE';
  let removal: RemovalMode = 'DELETE';
  if (removalProp === 'DELETE' || removalProp === 'DISASSOCIATE') {
    removal = removalProp;
  } else if (strict) {
    throw new ReconcileError(`MemberRemoval: expected DELETE or DISASSOCIATE, got '${removalProp}'`);
  }
  const settings: Settings = {
    service,
    members: strict ? [] : readDeclaredMembers(props),
    invite: flag('Invite', true),
    message: props.Message || undefined,
    disableEmailNotification: flag('DisableEmailNotification', false),
    removal,
    failOnUnprocessed: flag('FailOnUnprocessed', true),
  };
  if (!strict) {
    return settings;
  }
  const maxMessage = service.definition.messageMaxLength;
  if (settings.message !== undefined && maxMessage !== undefined && settings.message.length > maxMessage) {
    throw new ReconcileError(`Message: ${settings.message.length} characters, more than the ${maxMessage} ${service.definition.name} takes`);
  }
  const seen = new Set<string>();
  let entries: string[];
  try {
    entries = memberEntries(props);
  } catch (err) {
    throw new ReconcileError((err as Error).message);
  }
  entries.forEach((encoded, index) => {
    let member: MemberDeclaration;
    try {
      member = decodeMember(encoded, index);
    } catch (err) {
      throw new ReconcileError((err as Error).message);
    }
    if (!ACCOUNT_ID_PATTERN.test(member.accountId)) {
      throw new ReconcileError(`Members[${index}]: account ID '${member.accountId}' is not 12 digits`);
    }
    if (!EMAIL_PATTERN.test(member.email) || member.email.length > EMAIL_MAX_LENGTH) {
      throw new ReconcileError(`Members[${index}]: the email of account ${member.accountId} is not an address of at most ${EMAIL_MAX_LENGTH} characters`);
    }
    if (seen.has(member.accountId)) {
      throw new ReconcileError(`Members[${index}]: account ${member.accountId} is declared twice`);
    }
    if (member.accountId === adminAccount) {
      throw new ReconcileError(`Members[${index}]: account ${member.accountId} is the administrator account itself`);
    }
    seen.add(member.accountId);
    settings.members.push(member);
  });
  return settings;
}

function invitation(settings: Settings) {
  return { message: settings.message, disableEmailNotification: settings.disableEmailNotification };
}

function data(service: MemberService, target: string, summary: ReconcileSummary): Record<string, string | number> {
  return {
    [service.definition.target.attribute]: target,
    Created: summary.created,
    Invited: summary.invited,
    Removed: summary.removed,
    Unchanged: summary.unchanged,
    Unprocessed: summary.unprocessed,
    Disabled: summary.disabled,
  };
}

export async function handleEvent(
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn'> | undefined,
  clients: ClientFactory = invocationClients(),
): Promise<HandlerResponse> {
  const props = event.ResourceProperties as unknown as ReconcileProperties;
  const adminAccount = context?.invokedFunctionArn?.split(':')[4];
  const settings = readSettings(props, adminAccount, event.RequestType !== 'Delete');
  const log: Logger = jsonLogger({
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    requestId: event.RequestId,
    service: settings.service.definition.name,
  });
  const options: ReconcileOptions = {
    invite: settings.invite,
    removal: settings.removal,
    failOnUnprocessed: settings.failOnUnprocessed,
    log,
    deadline: context ? Date.now() + context.getRemainingTimeInMillis() - TIME_RESERVE_MS : undefined,
    // The Provider framework appends the log group (`Logs: /aws/lambda/<handler>`, the provider's
    // log group by name); the request ID finds the entries in it.
    requestId: event.RequestId,
  };

  if (event.RequestType === 'Delete') {
    // The physical ID is the detector ID / graph ARN the members were created on.
    const target = event.PhysicalResourceId;
    if (!settings.service.isTarget(target)) {
      log.warn(`physical ID is not a ${settings.service.definition.target.noun}: nothing to remove`, { target });
      return { PhysicalResourceId: target, Data: data(settings.service, target, emptySummary()) };
    }
    const api = settings.service.memberApi(clients, target, invitation(settings));
    try {
      const summary = await removeDeclared(api, settings.members, options);
      return { PhysicalResourceId: target, Data: data(settings.service, target, summary) };
    } catch (err) {
      if (!(err instanceof ReconcileError) && await settings.service.targetGone(err, clients, target)) {
        log.warn(`${settings.service.definition.target.noun} is gone: nothing to remove`, { target, error: describeError(err) });
        return { PhysicalResourceId: target, Data: data(settings.service, target, emptySummary()) };
      }
      throw err;
    }
  }

  const target = await settings.service.resolveTarget(props, clients);
  const api = settings.service.memberApi(clients, target, invitation(settings));
  // A different detector/graph is a replacement: CloudFormation deletes the old resource
  // (removing the old members there), and here the previous declaration owns nothing.
  const sameTarget = event.RequestType === 'Update' && event.PhysicalResourceId === target;
  let previous: MemberDeclaration[] = [];
  if (sameTarget) {
    // Lenient: in CloudFormation's rollback Update these are the properties that failed.
    previous = readDeclaredMembers(event.OldResourceProperties as unknown as ReconcileProperties);
  }
  log.info('target', { target, replacement: event.RequestType === 'Update' && !sameTarget });
  const summary = await reconcile(api, { desired: settings.members, previous, undoOnFailure: !sameTarget }, options);
  return { PhysicalResourceId: target, Data: data(settings.service, target, summary) };
}

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<HandlerResponse> {
  try {
    return await handleEvent(event, context);
  } catch (err) {
    if (err instanceof ReconcileError) {
      throw err;
    }
    // Unexpected errors (access denied, a bug) still end in a FAILED response with a reason.
    const reason = describeError(err);
    console.error({ message: 'reconcile failed', requestType: event.RequestType, requestId: event.RequestId, error: reason });
    throw new ReconcileError(reason.slice(0, 2000));
  }
}
