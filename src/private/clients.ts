/**
 * SDK client settings shared by the handler and `plan`: the SDK's adaptive retry strategy with
 * settings for short, bursty runs, and clients made fresh per invocation. `plan`, run by a
 * person or a CI job, also fails at once on an endpoint it cannot reach.
 */
import { AdaptiveRetryStrategy, AdaptiveRetryStrategyOptions, DefaultRateLimiter } from '@smithy/core/retry';
import { ClientFactory } from './services/member-service';

/** SDK attempts per call. */
export const MAX_ATTEMPTS = 10;

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

/** Connection failures that no retry within seconds repairs: refused, unknown host, no route. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** `plan` waits this long for a connection before it calls the endpoint unreachable. */
export const PLAN_CONNECT_TIMEOUT_MS = 5_000;

/** Whether `err` says the endpoint could not be reached at all (no answer, not an error answer). */
export function isUnreachable(err: unknown): boolean {
  const { code, name, message = '' } = (err ?? {}) as { code?: string; name?: string; message?: string };
  // The SDK wraps an error from another realm (a test runner's) in a plain Error: its code is then in the message.
  const wrapped = message.startsWith('AWS SDK error wrapper for ') && [...UNREACHABLE_CODES].some((c) => message.includes(` ${c} `));
  return UNREACHABLE_CODES.has(code ?? '') || wrapped || (name === 'TimeoutError' && /without establishing a connection/.test(message));
}

/** The adaptive strategy, except that an unreachable endpoint is not retried: the error comes back at once. */
type Refresh = AdaptiveRetryStrategy['refreshRetryTokenForRetry'];

class FailFastRetryStrategy extends AdaptiveRetryStrategy {
  async refreshRetryTokenForRetry(token: Parameters<Refresh>[0], errorInfo: Parameters<Refresh>[1]): ReturnType<Refresh> {
    if (isUnreachable(errorInfo.error)) {
      throw errorInfo.error;
    }
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

/**
 * `plan`'s client settings: the handler's retries for throttling and 5xx answers, but none for an
 * endpoint that refuses the connection or cannot be found, and a connection timeout (a person
 * waits for the answer; a deployment's handler, on AWS's network, has neither problem).
 */
export function planClientConfig() {
  return {
    ...clientConfig(),
    retryStrategy: new FailFastRetryStrategy(MAX_ATTEMPTS, {
      backoff: new ShortJobBackoff(),
      rateLimiter: new DefaultRateLimiter(RATE_LIMITER_OPTIONS),
    }),
    requestHandler: { connectionTimeout: PLAN_CONNECT_TIMEOUT_MS },
  };
}

/** Clients for one invocation, and their release once it is done. */
export interface InvocationClients extends ClientFactory {
  /** Closes every client's connections: a warm Lambda's next invocation makes its own. */
  destroy(): void;
}

/**
 * Clients for one invocation, one per client class. Fresh per invocation: a retry strategy's
 * quota drained by a brownout in one invocation must not leave the next (say, the rollback
 * that follows a failed update) with a single attempt per call.
 */
export function invocationClients(overrides: object = {}): InvocationClients {
  const clients = new Map<unknown, unknown>();
  const factory = ((client) => {
    if (!clients.has(client)) {
      clients.set(client, new client({ ...clientConfig(), ...overrides }));
    }
    return clients.get(client) as InstanceType<typeof client>;
  }) as InvocationClients;
  factory.destroy = () => clients.forEach((client) => (client as { destroy?: () => void }).destroy?.());
  return factory;
}

