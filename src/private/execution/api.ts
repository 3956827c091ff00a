/**
 * What the engine works with: one service's member operations behind {@link MemberApi} (each
 * call takes at most 50 accounts), the options and summaries of a run, and the helpers every
 * part of the handler shares for batches and failure reasons. Service-neutral and SDK-free.
 */
import { Logger } from '../logger';
import { AccountProblem, LiveMember, MemberStatusModel, RemovalMode } from '../planner';
import { MemberDeclaration } from '../properties';
import { formatFailureReason, redactEmails } from '../report';

/** Every member API takes at most this many accounts per call. */
export const MAX_ACCOUNTS_PER_CALL = 50;
/**
 * Mutating calls in flight at once; under a rate limit the SDK's adaptive rate limiter paces
 * them (README, Performance).
 */
export const DEFAULT_CONCURRENCY = 10;
/**
 * Create pipelines (GuardDuty: create, read back, invite) in flight per mutating-call slot: while
 * one batch is read back, another's CreateMembers holds the slot, so the reads add no round trips.
 */
export const CREATE_PIPELINES_PER_SLOT = 2;
/** GetMembers batches (of up to 50) read at once. */
export const READ_BATCH_CONCURRENCY = DEFAULT_CONCURRENCY;
/** Calls in flight at once, reads included, for a service whose member operations take one account per call. */
export const ONE_ACCOUNT_CONCURRENCY = 16;

export interface UnprocessedAccount {
  readonly accountId: string;
  readonly reason: string;
}

/** What CreateMembers answered. */
export interface CreateResult {
  readonly unprocessed: UnprocessedAccount[];
  /**
   * Members the answer reports with their state (Detective): processed does not mean it ended
   * well (a failed email verification, an organization account accepted but disabled).
   */
  readonly members: LiveMember[];
}

/** One service's member operations; each call takes at most 50 accounts. */
export interface MemberApi {
  readonly statuses: MemberStatusModel;
  /** The per-account settings a declaration may manage (GuardDuty's protection plans); absent: none. */
  readonly settings?: SettingsApi;
  /** ListMembers' page maximum, to tell whether listing or reading the accounts is cheaper. */
  readonly pageSize: number;
  /**
   * The operations that take one account per call (the others take up to 50): the engine sends
   * them at most {@link ONE_ACCOUNT_CONCURRENCY} at a time, every call of the run included.
   */
  readonly perAccount?: readonly (MemberOperation | 'GetMembers')[];
  /**
   * Whether a successful call only starts the change: the engine reads the accounts until each
   * reaches a final state (within the invocation's time; the next invocation goes on awaiting).
   */
  readonly asynchronous?: boolean;
  listMembers(): Promise<LiveMember[]>;
  getMembers(accountIds: string[]): Promise<LiveMember[]>;
  createMembers(members: MemberDeclaration[]): Promise<CreateResult>;
  inviteMembers(accountIds: string[]): Promise<UnprocessedAccount[]>;
  disassociateMembers(accountIds: string[]): Promise<UnprocessedAccount[]>;
  deleteMembers(accountIds: string[]): Promise<UnprocessedAccount[]>;
  /**
   * Whether the administrator is the organization's delegated administrator for the service (its
   * CreateMembers then enables organization accounts at once). Services that cannot tell leave it out.
   */
  organizationAdministrator?(): Promise<boolean>;
}

/** Settings of one account, by key (e.g. `S3_DATA_EVENTS` → `ENABLED`). */
export type AccountSettings = Readonly<Record<string, string>>;

/** Reading the per-account settings of a service's members: what `plan` needs. */
export interface SettingsReads {
  /** What one setting is called in reasons and logs, e.g. `protection plan`. */
  readonly noun: string;
  /** Accounts one read or write call takes (default 50). */
  readonly accountsPerCall?: number;
  /**
   * False when the service's settings are only ever turned on (Inspector's scan types): a
   * rollback leaves them, and the accounts a run removes are not journaled for them.
   */
  readonly restorable?: boolean;
  /** The operations, for reasons: e.g. `GetMemberDetectors`, `UpdateMemberDetectors`. */
  readonly readOperation: string;
  readonly writeOperation: string;
  /** Whether a member in this state can take settings (associated with the target). */
  settable(member: LiveMember): boolean;
  /** The accounts' settings (at most 50); accounts the service does not answer for are unprocessed, with its reason. */
  read(accountIds: string[]): Promise<{ settings: Map<string, AccountSettings>; unprocessed: UnprocessedAccount[] }>;
  /** Whether a reason means "not yet": the account will take settings shortly (organization auto-enable rolling out). */
  notYet(reason: string): boolean;
  /**
   * Whether a whole call refused with this reason may have been refused for some of its accounts
   * only (the service answers an error instead of listing them unprocessed): the call is split
   * until each reason has its account.
   */
  refusedPerAccount(reason: string): boolean;
}

/** Reading and changing the per-account settings of a service's members. */
export interface SettingsApi extends SettingsReads {
  /** Applies the same change to every account (at most 50); `declared` is the whole declaration, for what the change needs beside it. */
  write(accountIds: string[], change: AccountSettings, declared: AccountSettings): Promise<UnprocessedAccount[]>;
}

export type MemberOperation = 'CreateMembers' | 'InviteMembers' | 'DisassociateMembers' | 'DeleteMembers';

export interface ReconcileOptions {
  readonly invite: boolean;
  readonly removal: RemovalMode;
  readonly failOnUnprocessed: boolean;
  readonly log: Logger;
  readonly concurrency?: number;
  /** Epoch milliseconds after which no new batch starts. */
  readonly deadline?: number;
  /** Members the target holds, as last read: whether listing them is cheaper than reading accounts one by one. */
  readonly memberCount?: number;
  /** The request whose log entries hold the full detail, named in failure reasons. */
  readonly requestId?: string;
}

/** Counts only: the resource's attributes never carry account lists or emails. */
export interface ReconcileSummary {
  created: number;
  invited: number;
  removed: number;
  unchanged: number;
  unprocessed: number;
  /** Declared members that accepted but do not contribute (e.g. Detective ACCEPTED_BUT_DISABLED). */
  disabled: number;
}

export function emptySummary(): ReconcileSummary {
  return { created: 0, invited: 0, removed: 0, unchanged: 0, unprocessed: 0, disabled: 0 };
}

/** A deployment failure whose message is the CloudFormation reason. */
export class ReconcileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReconcileError';
    // The Provider framework appends the stack trace to the reason: keep it to one line.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Accounts one call of `operation` takes. */
export function accountsPerCall(api: Pick<MemberApi, 'perAccount'>, operation: MemberOperation | 'GetMembers'): number {
  return api.perAccount?.includes(operation) ? 1 : MAX_ACCOUNTS_PER_CALL;
}

export function chunk<T>(items: readonly T[], size: number = MAX_ACCOUNTS_PER_CALL): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    batches.push(items.slice(i, i + size));
  }
  return batches;
}

/** At most `limit` holders at once, served in the order they asked, the urgent ones first. */
export class Slots {
  private free: number;
  private readonly urgent: (() => void)[] = [];
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async acquire(urgent = false): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => (urgent ? this.urgent : this.waiting).push(resolve));
  }

  release(): void {
    const next = this.urgent.shift() ?? this.waiting.shift();
    if (next) {
      next();
    } else {
      this.free++;
    }
  }
}

/** Whether an error is the service refusing a change over its quota (HTTP 402, or its ServiceQuotaExceededException). */
export function isQuotaError(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'ServiceQuotaExceededException' || e?.$metadata?.httpStatusCode === 402;
}

/** The reason a call's error gives its accounts: the service's error, and for a quota refusal the quota it hit. */
export function callErrorReason(statuses: MemberStatusModel, err: unknown): string {
  const reason = describeError(err);
  if (!isQuotaError(err)) return reason;
  return `${reason} (over the service quota: ${statuses.quotaNote ?? `${statuses.service} allows ${statuses.quota.toLocaleString('en-US')} members`})`;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return redactEmails(`${err.name}: ${err.message}`);
  }
  return redactEmails(String(err));
}

/** `3 accounts`, `1 account`. */
export function accountCount(n: number): string {
  return `${n} account${n === 1 ? '' : 's'}`;
}

/** A failure reason naming the service, the operation, the accounts and the service's reasons. */
export function failureReason(service: string, problems: readonly AccountProblem[], headline: string, epilogue?: string, requestId?: string,
  budgetBytes?: number): string {
  const pointer = requestId ? ` Full list in the log, request ${requestId}.` : '';
  return formatFailureReason(problems, { service, headline, epilogue: `${epilogue ?? ''}${pointer}`.trim(), budgetBytes });
}

export interface ExecuteOptions extends ReconcileOptions {
  /** Restoring after a failure: removals first, and whatever the additions' outcome. */
  readonly restoring?: boolean;
  /** Invite after CreateMembers only these accounts (a restore re-invites those that had been invited). */
  readonly inviteAfterCreate?: ReadonlySet<string>;
  /**
   * Accounts known to be organization accounts of an administrator that is the organization's
   * delegated administrator: CreateMembers enables them, so they are neither read back nor invited.
   */
  readonly organizationAccounts?: ReadonlySet<string>;
}

export interface Execution {
  readonly summary: ReconcileSummary;
  /** Accounts that did not end where the plan wanted them, with the service's reasons. */
  readonly problems: AccountProblem[];
  /** False when the deadline left work unattempted: plan again from live state and go on. */
  readonly complete: boolean;
  /** The state of accounts the run created, as far as it read them back or invited them. */
  readonly learned: ReadonlyMap<string, LiveMember>;
  /**
   * Accounts whose asynchronous removal was started but not through at the deadline (reads
   * still show them associated): the journal keeps them, so no later plan takes them for members.
   */
  readonly underWay?: readonly string[];
}

