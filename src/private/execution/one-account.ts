/**
 * Member operations that take one account per call: hundreds of calls where a batch service
 * makes a few. Every call of the run, reads included, holds one of at most 16 slots, and a
 * throttled call waits a jittered, growing delay and goes again (beyond the SDK's own retries,
 * whose retry quota a long burst drains), so a burst ends with each account's one successful
 * call rather than throttling failures. Service-neutral and SDK-free.
 */
import { describeError, MemberApi, ONE_ACCOUNT_CONCURRENCY, Slots } from './api';
import { Logger } from '../logger';

/** Engine-level retries of a throttled call, after the SDK's. */
export const THROTTLE_RETRIES = 12;
/** The first delay after a throttled call (bursty services want a long one), doubling up to the cap. */
export const THROTTLE_FIRST_DELAY_MS = 1000;
export const THROTTLE_MAX_DELAY_MS = 20_000;

/** A mutating call still throttled at the deadline: not sent, the next invocation sends it. */
export class OutOfTime extends Error {
  constructor() {
    super('throttled until the invocation\'s deadline');
    this.name = 'OutOfTime';
  }
}

/** Whether an SDK error is throttling, by the marks every SDK v3 client sets (or HTTP 429). */
export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $retryable?: { throttling?: boolean }; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.$retryable?.throttling === true || e?.$metadata?.httpStatusCode === 429
    || /^(Throttling|Throttled|TooManyRequests|RequestLimitExceeded|SlowDown)/.test(e?.name ?? '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PacedOptions {
  readonly log: Logger;
  /** Epoch ms: a mutating call still throttled past it throws {@link OutOfTime}. */
  readonly deadline?: number;
  readonly concurrency?: number;
  /** The first delay after a throttled call. */
  readonly firstDelayMs?: number;
}

/** Runs `call` in a slot; a throttled call waits (jittered, growing) and goes again. */
async function throttled<T>(slots: Slots, options: PacedOptions, operation: string, mutating: boolean, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await slots.acquire();
    let error: unknown;
    try {
      return await call();
    } catch (err) {
      error = err;
    } finally {
      slots.release();
    }
    if (!isThrottling(error) || attempt >= THROTTLE_RETRIES) throw error;
    const delay = Math.random() * Math.min(THROTTLE_MAX_DELAY_MS, (options.firstDelayMs ?? THROTTLE_FIRST_DELAY_MS) * 2 ** attempt);
    if (mutating && options.deadline !== undefined && Date.now() + delay > options.deadline) throw new OutOfTime();
    options.log.info(`${operation} throttled: trying again`, { attempt: attempt + 1, delayMs: Math.round(delay), error: describeError(error) });
    await sleep(delay);
  }
}

/** `api` with every call in one of at most 16 slots and throttled calls sent again (see the file's comment). */
export function paced(api: MemberApi, options: PacedOptions): MemberApi {
  const slots = new Slots(options.concurrency ?? ONE_ACCOUNT_CONCURRENCY);
  const run = <T>(operation: string, mutating: boolean, call: () => Promise<T>) => throttled(slots, options, operation, mutating, call);
  return {
    statuses: api.statuses,
    settings: api.settings,
    pageSize: api.pageSize,
    perAccount: api.perAccount,
    asynchronous: api.asynchronous,
    listMembers: () => run('ListMembers', false, () => api.listMembers()),
    getMembers: (ids) => run('GetMembers', false, () => api.getMembers(ids)),
    createMembers: (members) => run('CreateMembers', true, () => api.createMembers(members)),
    inviteMembers: (ids) => run('InviteMembers', true, () => api.inviteMembers(ids)),
    disassociateMembers: (ids) => run('DisassociateMembers', true, () => api.disassociateMembers(ids)),
    deleteMembers: (ids) => run('DeleteMembers', true, () => api.deleteMembers(ids)),
    ...(api.organizationAdministrator ? { organizationAdministrator: () => api.organizationAdministrator!() } : {}),
  };
}
