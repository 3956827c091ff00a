/**
 * One run's context: its target, clients, log and budgets, and (once the lock is held) what
 * the ledger and CloudFormation say. No path logic: the paths (forward, undo, rollback,
 * delete) are functions of this context and a journal.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CENSUS_MAX_AGE_MS } from './budgets';
import { MemberApi, readAccounts, readCosts } from '../engine';
import { LoadedClaim, TargetLedger } from '../ledger/ledger';
import { ClaimKey, Census } from '../ledger/records';
import { ParameterStore } from '../ledger/writer';
import { Logger } from '../logger';
import { OrganizationAccounts, resolveOrganizationAccounts } from '../organizations';
import { LiveMember } from '../planner';
import { SETTINGS_ENVIRONMENT } from '../properties';
import { ClientFactory, Invitation, MemberService } from '../services/member-service';
import { Stacks, StackState } from '../stacks';

/** What the handler passes to every run. */
export interface InvocationContext {
  readonly clients: ClientFactory;
  readonly log: Logger;
  /** The administrator account (the handler's own). */
  readonly adminAccount?: string;
  /** Epoch ms after which this invocation starts no new batch. */
  readonly deadline: number;
  /**
   * The services whose member settings this handler may read and write (its role has the
   * rights only when a construct of its stack declares settings: SETTINGS_ENVIRONMENT).
   */
  readonly settingsAllowed: ReadonlySet<string>;
}

/** The services SETTINGS_ENVIRONMENT (properties.ts) names. */
export function settingsAllowedIn(environment: NodeJS.ProcessEnv): ReadonlySet<string> {
  return new Set((environment[SETTINGS_ENVIRONMENT] ?? '').split(',').filter((name) => name.length > 0));
}

/** A run before its lock: whose it is and where. */
export interface RunTarget extends InvocationContext {
  readonly service: MemberService;
  readonly target: string;
  readonly key: ClaimKey;
  /** The resource's claim path in the ledger. */
  readonly path: string;
  readonly requestId: string;
  /** The lock's owner: this execution of the request. */
  readonly owner: string;
  /** The event's first invocation (epoch ms): the run's budgets count from it. */
  readonly startedAt: number;
  readonly ledger: TargetLedger;
  readonly stacks: Stacks;
}

/** A run holding its lock: the target's ledger and the stack as read after the lock was taken. */
export interface RunContext extends RunTarget {
  readonly claims: readonly LoadedClaim[];
  /** This resource's records (claim and journal). */
  readonly own?: LoadedClaim;
  /** Every other resource's. */
  readonly others: readonly LoadedClaim[];
  readonly census?: Census;
  /** The resource's stack. */
  readonly stack: StackState;
  /**
   * Every parameter name below the resource's path (both types, nothing decrypted), listed beside
   * the reads when the lock was taken: the cleanup needs it only at the end of the invocation.
   */
  readonly ownNames: Promise<readonly string[]>;
}

export function openRun(invocation: InvocationContext, fields: Omit<RunTarget, keyof InvocationContext | 'path' | 'ledger' | 'stacks'>): RunTarget {
  const { iamPrefix, ledgerId } = fields.service.definition;
  const ledger = new TargetLedger(new ParameterStore(invocation.clients(SSMClient)), iamPrefix, ledgerId(fields.target));
  return {
    ...invocation,
    ...fields,
    ledger,
    path: ledger.claimPath(fields.key),
    stacks: new Stacks(invocation.clients(CloudFormationClient)),
  };
}

/** Reads the ledger and the stack: only ever after the lock is taken, so nothing read is stale. */
export async function readTarget(run: RunTarget): Promise<RunContext> {
  const ownNames = run.ledger.namesBelow(run.path);
  // Awaited by the cleanup; a run that stops before it must not leave a rejection unhandled.
  ownNames.catch(() => undefined);
  const [{ claims, census }, stack] = await Promise.all([run.ledger.load(), run.stacks.state(run.key.stackId)]);
  const own = claims.find((c) => c.path === run.path && c.key.stackId === run.key.stackId && c.key.logicalId === run.key.logicalId);
  return { ...run, claims, own, others: claims.filter((c) => c !== own), census, stack, ownNames };
}

export function memberApi(run: RunTarget, invitation: Invitation): MemberApi {
  return run.service.memberApi(run.clients, run.target, invitation);
}

/** The ACTIVE accounts below `units`, less `exclude` and the administrator. */
export function resolveUnits(run: InvocationContext & { readonly service: MemberService }, units: readonly string[],
  exclude: readonly string[] = []): Promise<OrganizationAccounts> {
  return resolveOrganizationAccounts(run.clients(OrganizationsClient), units, {
    exclude, adminAccount: run.adminAccount, service: run.service.definition.name,
  });
}

/** Live state of the accounts a run reads, and the target's member count. */
export interface LiveRead {
  readonly live: Map<string, LiveMember>;
  /** Members of the target in all: exact when listed, else the census. */
  readonly total: number;
  readonly listed: boolean;
}

/**
 * Live state of `accountIds`, the cheaper way: every member page by page, or the accounts in
 * parallel batches of 50. Also the target's member count for the quota: exact when listed,
 * else the census (ListMembers' last count plus this library's changes since).
 */
export async function readLive(run: RunContext, api: MemberApi, accountIds: readonly string[], forceList = false): Promise<LiveRead> {
  const { census } = run;
  const fresh = census !== undefined && Date.now() - census.listedAt < CENSUS_MAX_AGE_MS;
  const costs = readCosts(api, accountIds.length, census?.total ?? 0);
  if (forceList || !fresh || costs.list <= costs.get) {
    const members = await api.listMembers();
    return { live: new Map(members.map((m) => [m.accountId, m])), total: members.length, listed: true };
  }
  return { live: await readAccounts(api, accountIds), total: census!.total, listed: false };
}

/** The census after a run changed `added - removed` members of `read.total`. */
export async function writeCensus(run: RunContext, read: Pick<LiveRead, 'total' | 'listed'>, change: number): Promise<void> {
  const total = read.total + change;
  if (!read.listed && run.census?.total === total) {
    return;
  }
  await run.ledger.writeCensus({ total, listedAt: read.listed ? Date.now() : run.census?.listedAt ?? Date.now() });
}
