/**
 * One CloudFormation event on a member resource, against its target's ownership ledger. The
 * Provider framework calls `startEvent` once (onEvent) and `continueEvent` until it answers
 * complete (isComplete), so a reconcile larger than one invocation's time goes on in the next
 * one, planned again from live state.
 *
 * - Create / Update: the declared accounts are brought in; accounts this resource held and no
 *   longer declares leave the target unless another claim holds them (or another construct of
 *   the stack declares them, known from synth time). Before the first change the claim records
 *   what the run changes, so a rollback, whatever caused it, puts membership back exactly.
 * - Update while the stack rolls back: that record is played back.
 * - Delete: the claim's accounts leave unless held elsewhere (none with RETAIN), and the claim
 *   goes. While the stack rolls back, only what the failed deployment created goes.
 */
import { randomUUID } from 'crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  accountCount,
  describeError,
  emptySummary,
  execute,
  Execution,
  ExecuteOptions,
  failureReason,
  MemberApi,
  readAccounts,
  readCosts,
  ReconcileError,
  ReconcileSummary,
} from './engine';
import { decodeAccounts, encodeAccounts, fingerprint } from './ledger/codec';
import {
  accountsHeldElsewhere,
  Census,
  ClaimKey,
  ClaimRecord,
  DeclarationRecord,
  heldAccounts,
  InFlightRecord,
  LoadedClaim,
  recordNames,
  recordRef,
  TargetLedger,
} from './ledger/ledger';
import { ParameterWrite } from './ledger/store';
import { ParameterStore } from './ledger/writer';
import { Logger } from './logger';
import { OrganizationAccounts, resolveOrganizationAccounts, ResolveOptions } from './organizations';
import {
  LiveMember, Plan, planDeletion, planMembers, planRestore, PriorState, quotaReason, removalGuardReason, removedAccounts, sameEmail, unionDeclaration,
} from './planner';
import { MemberDeclaration, ReconcileProperties, SCHEMA_VERSION } from './properties';
import { ClientFactory } from './services/member-service';
import { MEMBER_SERVICES } from './services/registry';
import { readDeclaredMembers, readSettings, Settings } from './settings';
import { isAwaited, isInProgress, isRollingBack, Stacks, StackState } from './stacks';

/** Additions and removals must be done this long after the event's first invocation... */
export const RUN_BUDGET_MS = 24 * 60_000;
/** ...and the undo of a failed create this much later: within the Provider's total timeout (30 minutes). */
export const UNDO_BUDGET_MS = 4 * 60_000;
/** A lock outlives any invocation (14 minutes): a holder that died lets go after this. */
export const LOCK_TTL_MS = 16 * 60_000;
/** A census older than this is counted again with ListMembers. */
export const CENSUS_MAX_AGE_MS = 24 * 60 * 60_000;
/** Near the quota, the exact count is read (ListMembers) before adding. */
export const QUOTA_MARGIN = 0.9;

/** What the handler passes from the Provider framework's onEvent call to its isComplete calls. */
export interface EventState {
  readonly startedAt: number;
  /**
   * This execution of the request: the Provider framework may start one request twice, and
   * the two must not share the target's lock (the in-flight record, keyed by request, they share).
   */
  readonly runId?: string;
  /** The target of a Delete whose physical ID is not one (a cancelled create's): from the properties. */
  readonly target?: string;
  /**
   * Whether CloudFormation sent the event while rolling the stack back. Told at onEvent for an
   * Update or Delete: a forward Update that finds the stack rolling back later was cancelled, it
   * is not the rollback. Unset for a Create, which CloudFormation sends only going forward.
   */
  readonly rollback?: boolean;
  /**
   * A scheduled sync, not a CloudFormation event: the claim's own declaration again. It never
   * waits for the lock (a deployment holding it wins), never continues in another invocation,
   * and keeps the claim's fingerprint (a sync changes the resolved accounts, not the declaration).
   */
  readonly sync?: { readonly fingerprint: string };
  /** An Update onto a different target (a replacement: the old one's Delete follows). */
  readonly replacement?: boolean;
  /** A Delete of something that never was a target: nothing to do. */
  readonly skip?: boolean;
}

export interface StartResult {
  readonly PhysicalResourceId: string;
  readonly CdkSecurityMembers: EventState;
}

export interface SliceResult {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string | number>;
}

export interface EventContext {
  readonly clients: ClientFactory;
  readonly log: Logger;
  /** The administrator account (the handler's own). */
  readonly adminAccount?: string;
  /** Epoch ms after which this invocation starts no new batch. */
  readonly deadline: number;
}

type Event = CloudFormationCustomResourceEvent;
export type ContinuedEvent = Event & { PhysicalResourceId: string; CdkSecurityMembers: EventState };

const props = (event: Event) => event.ResourceProperties as unknown as ReconcileProperties;
const oldProps = (event: Event) => (event.RequestType === 'Update' ? event.OldResourceProperties as unknown as ReconcileProperties : undefined);

/** onEvent: validate the declaration and name the target (the physical ID); the work runs in `continueEvent`. */
export async function startEvent(event: Event, ctx: EventContext): Promise<StartResult> {
  const settings = readSettings(props(event), ctx.adminAccount, event.RequestType !== 'Delete', MEMBER_SERVICES);
  const startedAt = Date.now();
  const runId = randomUUID();
  // Read beside the target, not before it: onEvent is on every event's critical path. Not for a
  // Create: CloudFormation sends it only going forward (a rollback deletes what it created), and
  // isComplete reads the stack beside the lock.
  const readRollback = event.RequestType === 'Create'
    ? Promise.resolve(undefined)
    : new Stacks(ctx.clients(CloudFormationClient)).state(event.StackId).then(isRollingBack);
  readRollback.catch(() => undefined);
  if (event.RequestType === 'Delete') {
    const rollback = await readRollback;
    if (settings.service.isTarget(event.PhysicalResourceId)) {
      return { PhysicalResourceId: event.PhysicalResourceId, CdkSecurityMembers: { startedAt, runId, rollback } };
    }
    // CloudFormation never heard back from the Create (it failed first, or was cancelled when
    // another resource failed): the physical ID is one it made up. A cancelled run may have
    // changed members before it stopped, so its claim is looked for where the properties point.
    const target = await settings.service.resolveTarget(props(event), ctx.clients).catch((err: unknown) => {
      ctx.log.info('delete: no target from the properties', { error: describeError(err) });
      return undefined;
    });
    ctx.log.info('delete of a resource CloudFormation knows by a made-up physical ID', { physicalId: event.PhysicalResourceId, target });
    return { PhysicalResourceId: event.PhysicalResourceId, CdkSecurityMembers: { startedAt, runId, rollback, target, skip: target === undefined } };
  }
  const [target, rollback] = await Promise.all([settings.service.resolveTarget(props(event), ctx.clients), readRollback]);
  const replacement = event.RequestType === 'Update' && event.PhysicalResourceId !== target;
  ctx.log.info('target', { target, replacement });
  return { PhysicalResourceId: target, CdkSecurityMembers: { startedAt, runId, rollback, replacement } };
}

/** isComplete: this invocation's share of the work. */
export async function continueEvent(event: ContinuedEvent, ctx: EventContext): Promise<SliceResult> {
  const settings = readSettings(props(event), ctx.adminAccount, event.RequestType !== 'Delete', MEMBER_SERVICES);
  if (event.CdkSecurityMembers.skip) {
    ctx.log.warn(`physical ID is not a ${settings.service.definition.target.noun}: nothing to remove`, { target: event.PhysicalResourceId });
    return { IsComplete: true, Data: data(settings, event.PhysicalResourceId, emptySummary()) };
  }
  return new EventRun(event, settings, ctx).slice();
}

/** The resource's Data: the target and counts, never account lists or emails. */
function data(settings: Settings, target: string, summary: ReconcileSummary): Record<string, string | number> {
  return {
    [settings.service.definition.target.attribute]: target,
    Created: summary.created,
    Invited: summary.invited,
    Removed: summary.removed,
    Unchanged: summary.unchanged,
    Unprocessed: summary.unprocessed,
    Disabled: summary.disabled,
  };
}

type Progress = InFlightRecord['progress'];

function addProgress(progress: Progress | undefined, summary: ReconcileSummary): Progress {
  return {
    created: (progress?.created ?? 0) + summary.created,
    invited: (progress?.invited ?? 0) + summary.invited,
    removed: (progress?.removed ?? 0) + summary.removed,
  };
}

/**
 * How the accounts the run may change stand now, to put them back after a failure: those it
 * adds to the claim, those it releases that are members, and those it touches otherwise.
 */
function priorStates(plan: Plan, live: ReadonlyMap<string, LiveMember>, adding: ReadonlySet<string>, releasing: ReadonlySet<string>): {
  before: InFlightRecord['before'];
  states: Map<string, PriorState>;
} {
  const touched = new Set([
    ...plan.additions.create.map((m) => m.accountId),
    ...plan.additions.delete,
    ...plan.additions.invite,
    ...removedAccounts(plan.removals),
  ]);
  const extra = [...touched].filter((id) => !adding.has(id) && !releasing.has(id));
  const states = new Map<string, PriorState>();
  const present = new Map<string, string[]>();
  for (const id of [...adding, ...extra, ...releasing]) {
    const member = live.get(id);
    if (member) {
      states.set(id, { status: member.status, email: member.email });
      const sameStatus = present.get(member.status);
      if (sameStatus) {
        sameStatus.push(id);
      } else {
        present.set(member.status, [id]);
      }
    } else if (!releasing.has(id)) {
      states.set(id, undefined);
    }
  }
  return {
    before: { touched: encodeAccounts(extra), present: Object.fromEntries([...present].map(([status, ids]) => [status, encodeAccounts(ids)])) },
    states,
  };
}

/** The prior states an in-flight record describes (see `priorStates`). */
function decodePriorStates(record: InFlightRecord, emails: Readonly<Record<string, string>>): Map<string, PriorState> {
  const states = new Map<string, PriorState>();
  for (const [status, ids] of Object.entries(record.before.present)) {
    for (const id of decodeAccounts(ids)) {
      states.set(id, { status, email: emails[id] });
    }
  }
  // Added or touched accounts that were not members; released ones that were not are not the run's.
  for (const id of [...decodeAccounts(record.adding), ...decodeAccounts(record.before.touched)]) {
    if (!states.has(id)) states.set(id, undefined);
  }
  return states;
}

/** What the claim held before the run that wrote `record` (its record may already be the new one). */
function heldBefore(claim: LoadedClaim, record: InFlightRecord): string[] {
  const adding = new Set(decodeAccounts(record.adding));
  return [...new Set([...decodeAccounts(claim.record.accounts).filter((id) => !adding.has(id)), ...decodeAccounts(record.releasing)])];
}

/** Live state of the accounts a run reads, and the target's member count. */
interface LiveRead {
  readonly live: Map<string, LiveMember>;
  /** Members of the target in all: exact when listed, else the census. */
  readonly total: number;
  readonly listed: boolean;
}

class EventRun {
  private readonly api: MemberApi;
  private readonly ledger: TargetLedger;
  private readonly stacks: Stacks;
  private readonly key: ClaimKey;
  private readonly path: string;
  private readonly target: string;
  private readonly requestId: string;
  /** The lock's owner: this execution of the request. */
  private readonly runOwner: string;
  private readonly startedAt: number;
  private readonly undoDeadline: number;
  /** Claims of deleted stacks removed during this invocation. */
  private readonly cleanedUp = new Set<LoadedClaim>();
  /** Writes that may finish together with the unlock. */
  private readonly tail: Promise<void>[] = [];

  constructor(private readonly event: ContinuedEvent, private readonly settings: Settings, private readonly ctx: EventContext) {
    const { service } = settings;
    this.target = event.CdkSecurityMembers.target ?? event.PhysicalResourceId;
    this.requestId = event.RequestId;
    this.startedAt = event.CdkSecurityMembers.startedAt;
    this.runOwner = `${event.RequestId}/${event.CdkSecurityMembers.runId ?? event.CdkSecurityMembers.startedAt}`;
    this.undoDeadline = this.startedAt + RUN_BUDGET_MS + UNDO_BUDGET_MS;
    const invitation = { message: settings.message, disableEmailNotification: settings.disableEmailNotification };
    this.api = service.memberApi(ctx.clients, this.target, invitation);
    const store = new ParameterStore(ctx.clients(SSMClient));
    this.ledger = new TargetLedger(store, service.definition.iamPrefix, service.definition.ledgerId(this.target));
    this.stacks = new Stacks(ctx.clients(CloudFormationClient));
    this.key = { stackId: event.StackId, logicalId: event.LogicalResourceId };
    this.path = this.ledger.claimPath(this.key);
  }

  private get log(): Logger {
    return this.ctx.log;
  }

  private get name(): string {
    return this.settings.service.definition.name;
  }

  private get sync(): boolean {
    return this.event.CdkSecurityMembers.sync !== undefined;
  }

  /** The ACTIVE accounts below `units`. */
  private resolveUnits(units: readonly string[], options: ResolveOptions = {}): Promise<OrganizationAccounts> {
    return resolveOrganizationAccounts(this.ctx.clients(OrganizationsClient), units, { ...options, service: this.name });
  }

  /**
   * The declared members: the static ones, and the ACTIVE accounts of the organizational units
   * (emails from Organizations; excluded accounts and the administrator never). A run that
   * continues keeps to the organization accounts its first invocation recorded in the claim.
   */
  private async declaredMembers(own: LoadedClaim | undefined, mine: InFlightRecord | undefined): Promise<{
    desired: MemberDeclaration[];
    fromOrganizations: string[];
  }> {
    const { members, organizationalUnits, excludeAccounts } = this.settings;
    if (organizationalUnits.length === 0) {
      return { desired: members, fromOrganizations: [] };
    }
    const resolved = await this.resolveUnits(organizationalUnits, { exclude: excludeAccounts, adminAccount: this.ctx.adminAccount });
    const recorded = mine && own ? new Set(decodeAccounts(own.record.fromOrganizations)) : undefined;
    const declaration = unionDeclaration(members, resolved.accounts, recorded);
    this.log.info('organization accounts', {
      organizationalUnits,
      active: resolved.accounts.size,
      declared: declaration.fromOrganizations.length,
      inactiveSkipped: resolved.inactive,
    });
    return declaration;
  }

  private options(until: number, overrides: Partial<ExecuteOptions> = {}): ExecuteOptions {
    return {
      invite: this.settings.invite,
      removal: this.settings.removal,
      failOnUnprocessed: this.settings.failOnUnprocessed,
      log: this.log,
      deadline: Math.min(this.ctx.deadline, until),
      requestId: this.requestId,
      ...overrides,
    };
  }

  private done(summary: ReconcileSummary): SliceResult {
    return { IsComplete: true, Data: data(this.settings, this.target, summary) };
  }

  async slice(): Promise<SliceResult> {
    // The claims are read while the lock is taken: a run that held it until just now left its
    // in-flight record, which holds everything it touched, so this read errs on keeping members.
    const [lock, loaded, stack] = await Promise.allSettled([
      this.ledger.lock(this.runOwner, LOCK_TTL_MS),
      this.ledger.load(),
      this.stacks.state(this.key.stackId),
    ]);
    if (lock.status === 'rejected') {
      throw lock.reason;
    }
    if (!lock.value.acquired && this.sync) {
      this.log.info('sync skipped: another run holds the target', { holder: lock.value.holder });
      return { IsComplete: true, Data: { Skipped: 'locked' } };
    }
    if (!lock.value.acquired) {
      const rollingBack = stack.status === 'fulfilled' && isRollingBack(stack.value);
      // A rollback may wait longer: the failed run it undoes may still hold the lock.
      const waitLimit = rollingBack ? this.undoDeadline : this.startedAt + RUN_BUDGET_MS;
      if (Date.now() > waitLimit) {
        throw new ReconcileError(`${this.name}: waited ${Math.round((Date.now() - this.startedAt) / 60_000)} minutes for another run on ` +
          `this ${this.settings.service.definition.target.noun} (${lock.value.holder}) to finish; nothing was changed. Deploy again.`);
      }
      this.log.info('another run holds the target: waiting', { holder: lock.value.holder });
      return { IsComplete: false };
    }
    let result: SliceResult | undefined;
    try {
      if (loaded.status === 'rejected') throw loaded.reason;
      if (stack.status === 'rejected') throw stack.reason;
      result = await this.dispatch(loaded.value, stack.value);
      return result;
    } finally {
      // Between invocations of one run the lock stays: nothing else may change the target meanwhile.
      // The last writes go out with the unlock: a reader that comes first sees the in-flight
      // record, which errs on keeping members.
      await Promise.all([...this.tail, ...(result?.IsComplete !== false || this.sync ? [this.ledger.unlock(this.runOwner)] : [])]);
    }
  }

  private async dispatch(loaded: Awaited<ReturnType<TargetLedger['load']>>, stack: StackState): Promise<SliceResult> {
    const own = loaded.claims.find((c) => c.path === this.path && c.record.stackId === this.key.stackId && c.record.logicalId === this.key.logicalId);
    const others = loaded.claims.filter((c) => c !== own);
    const rollback = this.event.CdkSecurityMembers.rollback ?? isRollingBack(stack);
    this.log.info('event', { ...stack, rollback, claims: loaded.claims.length, ownClaim: own !== undefined, inflight: own?.inflight?.phase });
    if (this.sync) {
      if (isInProgress(stack.status) || isInProgress(stack.rootStatus)) {
        this.log.info('sync skipped: the stack is being deployed', { ...stack });
        return { IsComplete: true, Data: { Skipped: 'deploying' } };
      }
      if (!own || (own.inflight && own.inflight.phase !== 'done' && own.inflight.phase !== 'failed')) {
        this.log.warn(own ? 'sync skipped: a run of this resource is unfinished' : 'sync skipped: the resource has no claim (not deployed, or deleted)');
        return { IsComplete: true, Data: { Skipped: own ? 'unfinished' : 'no claim' } };
      }
      return this.apply(own, others, loaded.census, stack);
    }
    switch (this.event.RequestType) {
      case 'Create':
        return this.apply(own, others, loaded.census, stack);
      case 'Update':
        return rollback ? this.rollbackUpdate(own, others) : this.apply(own, others, loaded.census, stack);
      case 'Delete':
        return rollback ? this.rollbackDelete(own, others) : this.destroy(own, others, loaded.census);
    }
  }

  /**
   * Accounts another live declaration holds, among `candidates` (the accounts this run would
   * remove). Only claims that hold a candidate have their stack checked; a claim whose stack no
   * longer exists is ignored and cleaned up.
   */
  private async protectedAccounts(others: readonly LoadedClaim[], candidates: ReadonlySet<string>): Promise<Set<string>> {
    const { held, gone } = await accountsHeldElsewhere({
      candidates,
      siblingAccounts: this.settings.siblingAccounts,
      siblingUnits: this.settings.siblingUnits,
      resolveUnits: (units) => this.resolveUnits(units),
      others,
      stackId: this.key.stackId,
      stackGone: (stackId) => this.stacks.gone(stackId),
    });
    for (const claim of gone) {
      this.log.info('claim of a deleted stack ignored and cleaned up', { stackId: claim.record.stackId, logicalId: claim.record.logicalId });
      await this.ledger.delete(await this.ledger.claimNames(claim.path));
      this.cleanedUp.add(claim);
    }
    return held;
  }

  /**
   * Live state of `accountIds`, the cheaper way: every member page by page, or the accounts in
   * parallel batches of 50. Also the target's member count for the quota: exact when listed,
   * else the census (ListMembers' last count plus this library's changes since).
   */
  private async readLive(accountIds: readonly string[], census: Census | undefined, forceList = false): Promise<LiveRead> {
    const fresh = census !== undefined && Date.now() - census.listedAt < CENSUS_MAX_AGE_MS;
    const costs = readCosts(this.api, accountIds.length, census?.total ?? 0);
    if (forceList || !fresh || costs.list <= costs.get) {
      const members = await this.api.listMembers();
      return { live: new Map(members.map((m) => [m.accountId, m])), total: members.length, listed: true };
    }
    return { live: await readAccounts(this.api, accountIds), total: census!.total, listed: false };
  }

  private async writeCensus(total: number, listed: boolean, census: Census | undefined): Promise<void> {
    if (!listed && census?.total === total) {
      return;
    }
    await this.ledger.writeCensus({ total, listedAt: listed ? Date.now() : census?.listedAt ?? Date.now() });
  }

  private claimRecord(accounts: Iterable<string>, adopted: Iterable<string>, fromOrganizations: Iterable<string>): ClaimRecord {
    const { settings } = this;
    return {
      v: 1,
      stackId: this.key.stackId,
      logicalId: this.key.logicalId,
      service: this.name,
      target: this.target,
      fingerprint: this.event.CdkSecurityMembers.sync?.fingerprint ?? fingerprint(props(this.event)),
      declaration: {
        organizationalUnits: settings.organizationalUnits,
        excludeAccounts: settings.excludeAccounts,
        invite: settings.invite,
        memberRemoval: settings.removal,
        failOnUnprocessed: settings.failOnUnprocessed,
        disableEmailNotification: settings.disableEmailNotification,
        removalPolicy: settings.removalPolicy,
        maxRemovals: settings.maxRemovals,
      },
      accounts: encodeAccounts(accounts),
      fromOrganizations: encodeAccounts(fromOrganizations),
      adopted: encodeAccounts(adopted),
      updatedAt: new Date().toISOString(),
    };
  }

  private declarationRecord(): DeclarationRecord {
    return { members: this.settings.members.map((m) => [m.accountId, m.email] as const), message: this.settings.message };
  }

  /** The claim record and declaration as the settings say, as one new generation each. */
  private claimWrites(accounts: Iterable<string>, adopted: Iterable<string>, fromOrganizations: Iterable<string>): ParameterWrite[] {
    const declaration = this.ledger.declarationWrites(this.path, this.declarationRecord());
    return [
      ...declaration,
      ...this.ledger.claimWrites(this.path, { ...this.claimRecord(accounts, adopted, fromOrganizations), declarationRecord: recordRef(declaration) }),
    ];
  }

  private write(writes: ParameterWrite[]): Promise<void> {
    return this.ledger.write(writes);
  }

  private writeInFlight(record: InFlightRecord, emails: Record<string, string> = {}): Promise<void> {
    return this.write(this.ledger.inflightWrites(this.path, record, { emails }));
  }

  /** A phase change or progress of the run: a small record beside the in-flight one. */
  private writeState(record: InFlightRecord, phase: InFlightRecord['phase'], progress: InFlightRecord['progress'], failure?: string): Promise<void> {
    return this.write(this.ledger.stateWrites(this.path, { requestId: record.requestId, phase, progress, failure }));
  }

  /**
   * What the previous run left behind once it was done: older generations of the claim's
   * records, and the SecureString records it replaced. Deleted by the next run, beside its
   * reads, so no run waits for its own clean-up; found without a listing.
   */
  private cleanUpPrevious(own: LoadedClaim | undefined): Promise<void> {
    if (!own) {
      return Promise.resolve();
    }
    const replaced = own.inflight?.phase === 'done' ? own.inflight.replaces ?? [] : [];
    return this.ledger.delete([...this.ledger.staleNames(own.names), ...replaced.flatMap(recordNames)]);
  }

  /** Deletes the own claim; with the target's last claim, its census too. */
  private async deleteClaim(others: readonly LoadedClaim[]): Promise<void> {
    await this.ledger.delete(await this.ledger.claimNames(this.path));
    if (others.every((other) => this.cleanedUp.has(other))) {
      await this.ledger.deleteCensus();
    }
  }

  /** Create and Update: bring membership to the declaration. */
  private async apply(own: LoadedClaim | undefined, others: readonly LoadedClaim[], census: Census | undefined,
    stack: StackState): Promise<SliceResult> {
    const replacement = this.event.CdkSecurityMembers.replacement === true;
    const undoOnFailure = !this.sync && (this.event.RequestType === 'Create' || replacement);
    const mine = own?.inflight?.requestId === this.requestId ? own.inflight : undefined;
    if (mine?.phase === 'done') {
      // The Provider framework may call twice: the work is done.
      return this.done({ ...emptySummary(), ...mine.progress });
    }
    if (mine?.phase === 'failed') {
      throw new ReconcileError(mine.failure ?? `${this.name}: the deployment failed`);
    }
    if (mine?.phase === 'undoing') {
      return this.undo(mine, others);
    }
    const requestType = this.event.RequestType === 'Create' ? 'Create' : 'Update';
    if (!this.sync && !isAwaited(stack, requestType)) {
      return this.cancelled(own, mine, others, stack, undoOnFailure);
    }
    if (!this.sync && Date.now() > this.startedAt + RUN_BUDGET_MS) {
      return this.outOfTime(own, mine, others, undoOnFailure);
    }

    const { desired, fromOrganizations } = await this.declaredMembers(own, mine);
    const desiredIds = new Set(desired.map((m) => m.accountId));
    let previous: string[];
    let previousAdopted: string[];
    let onlyChanges = mine?.onlyChanges ?? false;
    if (mine) {
      previous = heldBefore(own!, mine);
      previousAdopted = decodeAccounts(mine.previousAdopted);
    } else if (undoOnFailure) {
      previous = [];
      previousAdopted = [];
    } else if (own) {
      previous = [...heldAccounts(own)];
      previousAdopted = decodeAccounts(own.record.adopted);
    } else {
      // No claim: the old properties say what it held. Deployed by a version without the ledger,
      // this first event acts only on what the declaration changes (the upgrade itself changes
      // no membership).
      previous = readDeclaredMembers(oldProps(this.event)).map((m) => m.accountId);
      previousAdopted = previous;
      onlyChanges = oldProps(this.event)?.Schema !== SCHEMA_VERSION;
      this.log.info('no claim yet: built from the previous properties', { accounts: previous.length, upgrade: onlyChanges });
    }
    if (!mine) {
      this.tail.push(this.cleanUpPrevious(own));
    }
    const candidates = new Set(previous.filter((id) => !desiredIds.has(id)));
    const managed = [...new Set([...desiredIds, ...previous])];
    const [read, protectedIds] = await Promise.all([this.readLive(managed, census), this.protectedAccounts(others, candidates)]);
    let { live, total, listed } = read;
    const makePlan = () => planMembers({
      statuses: this.api.statuses,
      desired,
      previous,
      live: [...live.values()],
      protected: protectedIds,
      onlyChanges,
      memberCount: total,
      invite: this.settings.invite,
      removal: this.settings.removal,
    });
    let plan = makePlan();

    let record = mine;
    let claimWritten = Promise.resolve();
    if (!record) {
      // First invocation: the guard and the quota before any change, then the record of what changes.
      const removing = removedAccounts(plan.removals).length;
      if (!undoOnFailure) {
        this.checkRemovalGuard(removing, previous.length);
      }
      const adding = plan.peakMembers - total;
      if (adding > 0 && !listed && total + adding >= plan.quota * QUOTA_MARGIN) {
        ({ live, total, listed } = await this.readLive(managed, census, true));
        plan = makePlan();
      }
      const overQuota = quotaReason(this.name, plan, total);
      if (overQuota) {
        throw new ReconcileError(overQuota);
      }
      this.logPlan(plan, desired.length, previous.length);
      const previousIds = new Set(previous);
      const addingIds = new Set([...desiredIds].filter((id) => !previousIds.has(id)));
      const { before: priorRecord, states: before } = priorStates(plan, live, addingIds, candidates);
      // Recorded emails the old declaration would not restore (an accepted member kept despite its email).
      const oldEmails = new Map(readDeclaredMembers(oldProps(this.event)).map((m) => [m.accountId, m.email]));
      const emails = Object.fromEntries([...before]
        .filter(([id, prior]) => prior?.email && !sameEmail(prior.email, oldEmails.get(id)))
        .map(([id, prior]) => [id, prior!.email!]));
      record = {
        v: 1,
        requestId: this.requestId,
        stackId: this.key.stackId,
        logicalId: this.key.logicalId,
        requestType: this.sync ? 'Sync' : this.event.RequestType === 'Create' ? 'Create' : 'Update',
        from: oldProps(this.event) ? fingerprint(oldProps(this.event)) : undefined,
        to: fingerprint(props(this.event)),
        phase: 'running',
        startedAt: this.startedAt,
        adding: encodeAccounts(addingIds),
        releasing: encodeAccounts([...candidates]),
        before: priorRecord,
        previousAdopted: encodeAccounts(previousAdopted),
        previousFromOrganizations: own?.record.fromOrganizations ?? encodeAccounts([]),
        progress: { created: 0, invited: 0, removed: 0 },
        onlyChanges: onlyChanges || undefined,
        replaces: [own?.record.declarationRecord, own?.inflight?.secret].filter((ref): ref is NonNullable<typeof ref> => ref !== undefined),
      };
      // The in-flight record is written before the first change: a reader (a rollback, after
      // whatever crash) finds the claim by it, even before its new generation is written, and
      // in it what to undo. The claim goes out while the members change.
      await this.writeInFlight(record, emails);
      const wasAdopted = new Set(previousAdopted);
      const adopted = [...desiredIds].filter((id) => wasAdopted.has(id) || (!previousIds.has(id) && live.has(id)));
      claimWritten = this.write(this.claimWrites(desiredIds, adopted, fromOrganizations));
    }

    let execution: Execution;
    try {
      execution = await execute(this.api, plan, live, this.options(this.startedAt + RUN_BUDGET_MS));
    } finally {
      await claimWritten;
    }
    const progress = addProgress(record.progress, execution.summary);

    if (execution.problems.length > 0 && this.settings.failOnUnprocessed) {
      return this.failed(record, plan, execution, progress, desired.length, undoOnFailure, others);
    }
    if (!execution.complete && this.sync) {
      // A sync does not span invocations: the claim holds the declaration; the next sync goes on.
      this.log.warn('sync out of time: the next sync continues', { ...progress });
      await this.writeState(record, 'done', progress);
      return this.done({ ...execution.summary, ...progress });
    }
    if (!execution.complete) {
      this.log.info('continuing in the next invocation', { ...progress });
      await this.writeState(record, 'running', progress);
      return { IsComplete: false };
    }
    if (execution.problems.length > 0) {
      this.log.warn('unprocessed accounts ignored (failOnUnprocessed is false)', { problems: execution.problems });
    }
    // Kept until the next run: a rollback caused by another resource still needs it.
    this.tail.push(this.writeState(record, 'done', progress), this.writeCensus(total + progress.created - progress.removed, listed, census));
    const summary = { ...execution.summary, ...progress };
    this.log.info('reconciled', { ...summary });
    return this.done(summary);
  }

  /** Failed accounts with failOnUnprocessed: a create is undone here; an update is put back by CloudFormation's rollback. */
  private async failed(record: InFlightRecord, plan: Plan, execution: Execution, progress: Progress, declared: number,
    undoOnFailure: boolean, others: readonly LoadedClaim[]): Promise<SliceResult> {
    const failedCount = new Set(execution.problems.map((p) => p.accountId)).size;
    const removing = removedAccounts(plan.removals).length;
    const inRemovals = execution.problems.every((p) => p.operation === 'DisassociateMembers' || p.operation === 'DeleteMembers') && removing > 0;
    const headline = inRemovals
      ? `${accountCount(failedCount)} of ${removing} to remove could not be removed`
      : `${accountCount(failedCount)} of ${declared} declared could not be brought to the declared state`;
    this.log.error(inRemovals ? 'removals failed' : 'additions failed', { problems: execution.problems });
    if (undoOnFailure) {
      const failure = failureReason(this.name, execution.problems, headline, undefined, this.requestId);
      const undoing: InFlightRecord = { ...record, phase: 'undoing', progress, failure };
      await this.writeState(record, 'undoing', progress, failure);
      return this.undo(undoing, others, { headline, problems: execution.problems });
    }
    const epilogue = this.sync ? 'Nothing was removed; the next sync or deployment tries again.' : progress.removed > 0
      ? `CloudFormation's rollback restores the ${accountCount(progress.removed)} this deployment removed (invited accounts must accept again) and removes what it added.`
      : 'No member was removed; CloudFormation\'s rollback removes what this deployment added.';
    const reason = failureReason(this.name, execution.problems, headline, epilogue, this.requestId);
    await this.writeState(record, 'failed', progress, reason);
    throw new ReconcileError(reason);
  }

  private checkRemovalGuard(removing: number, previousCount: number): void {
    const reason = removalGuardReason(this.name, this.settings.service.definition.target.noun, removing, previousCount, this.settings.maxRemovals);
    if (reason) {
      throw new ReconcileError(reason);
    }
  }

  private logPlan(plan: Plan, declared: number, previous: number): void {
    this.log.info('plan', {
      declared,
      previouslyHeld: previous,
      create: plan.additions.create.map((m) => m.accountId),
      recreate: plan.additions.delete,
      invite: plan.additions.invite,
      disassociate: plan.removals.disassociate,
      delete: plan.removals.delete,
      released: plan.released,
      blocked: plan.blocked.map((b) => b.accountId),
      unchanged: plan.unchanged.length,
    });
    if (plan.keptDespiteEmail.length > 0) {
      this.log.info('accepted members kept although their recorded email differs from the declared one', { accounts: plan.keptDespiteEmail });
    }
    if (plan.released.length > 0) {
      this.log.info('no longer declared here but held by another declaration: not removed', { accounts: plan.released });
    }
  }

  /** Plays back an in-flight record: the accounts its run changed, as they were before it. */
  private async restore(record: InFlightRecord, others: readonly LoadedClaim[]): Promise<Execution> {
    // Only the run's own secret record: an older run's describes older states.
    const emails = record.secret ? (await this.ledger.loadSecrets(this.path, record.secret)).inflight?.value.emails ?? {} : {};
    const before = decodePriorStates(record, emails);
    const created = new Set([...before].filter(([, prior]) => prior === undefined).map(([id]) => id));
    const [live, protectedIds] = await Promise.all([
      readAccounts(this.api, [...before.keys()]),
      this.protectedAccounts(others, new Set(before.keys())),
    ]);
    const restore = planRestore({
      statuses: this.api.statuses,
      before,
      live: [...live.values()],
      protected: protectedIds,
      emails: new Map(this.settings.members.map((m) => [m.accountId, m.email])),
      removal: 'DELETE',
    });
    this.log.info('restore', {
      remove: removedAccounts(restore.plan.removals),
      recreate: restore.plan.additions.create.map((m) => m.accountId),
      reinvite: restore.reinvited,
      inexact: restore.inexact,
      missingEmail: restore.missingEmail,
      keptEmail: restore.keptEmail,
      keptHeldElsewhere: [...created].filter((id) => protectedIds.has(id)),
    });
    return execute(this.api, restore.plan, live, this.options(this.undoDeadline, {
      restoring: true,
      failOnUnprocessed: false,
      invite: false,
      inviteAfterCreate: new Set(restore.reinvited),
    }));
  }

  /**
   * Undo of a failed create (or replacement) within the undo budget, then the failure is
   * reported with what the undo did. What is left stays in the claim, so the Delete that
   * CloudFormation's rollback sends continues it.
   */
  private async undo(record: InFlightRecord, others: readonly LoadedClaim[], failure?: { headline: string; problems: Execution['problems'] }): Promise<SliceResult> {
    const execution = await this.restore(record, others);
    if (!execution.complete && Date.now() < this.undoDeadline) {
      return { IsComplete: false };
    }
    const left = [...new Set(execution.problems.map((p) => p.accountId))];
    // Those the run created before it stopped (a create that failed part-way created only some).
    const created = record.progress.created;
    let epilogue: string;
    if (execution.complete && left.length === 0) {
      epilogue = created === 0 ? 'Nothing had been added, so nothing was undone.' : `The ${accountCount(created)} this deployment added were removed again.`;
      await this.deleteClaim(others);
    } else {
      this.log.error('undo incomplete', { problems: execution.problems, complete: execution.complete });
      epilogue = execution.complete
        ? `Undo left ${accountCount(left.length)} added by this deployment as members: ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', ...' : ''}; the rollback Delete tries again.`
        : 'The undo ran out of time; the rollback Delete continues it.';
    }
    throw new ReconcileError(failure
      ? failureReason(this.name, failure.problems, failure.headline, epilogue, this.requestId)
      : `${record.failure ?? `${this.name}: the deployment failed.`} ${epilogue}`);
  }

  /**
   * Plays back `record` and puts the claim back as it was before that run: gone after a create
   * (`dropClaim`), as it was after an update. Accounts the run created that the playback could not
   * remove stay in the claim, so the next deployment or the stack's deletion removes them.
   * Undefined while the playback goes on in the next invocation.
   */
  private async rewind(own: LoadedClaim, record: InFlightRecord, others: readonly LoadedClaim[],
    dropClaim: boolean): Promise<{ execution: Execution; leftovers: string[] } | undefined> {
    const execution = await this.restore(record, others);
    if (!execution.complete && Date.now() < this.undoDeadline) {
      return undefined;
    }
    const created = [...decodePriorStates(record, {})].filter(([, prior]) => prior === undefined).map(([id]) => id);
    const failed = new Set(execution.problems.map((p) => p.accountId));
    // Out of time, any created account may still be a member: the claim keeps them all (a later
    // removal of one that is gone already does nothing).
    const leftovers = created.filter((id) => !execution.complete || failed.has(id));
    if (execution.problems.length > 0 || !execution.complete) {
      this.log.error('rollback could not restore every account', { problems: execution.problems, complete: execution.complete, leftovers });
    }
    if (dropClaim && leftovers.length === 0) {
      await this.deleteClaim(others);
      return { execution, leftovers };
    }
    const accounts = dropClaim ? leftovers : [...new Set([...heldBefore(own, record), ...leftovers])];
    const adopted = dropClaim ? [] : decodeAccounts(record.previousAdopted);
    await this.write(this.claimWrites(accounts, adopted, dropClaim ? [] : decodeAccounts(record.previousFromOrganizations)));
    // The claim's new generation is written; the in-flight record has been played back.
    const names = await this.ledger.claimNames(this.path);
    await this.ledger.delete([
      ...names.filter((name) => ['inflight', 'inflight-state', 'inflight-secret'].some((r) => name.startsWith(`${this.path}/${r}/`))),
      ...this.ledger.staleNames(names.filter((name) => name.startsWith(`${this.path}/claim/`) || name.startsWith(`${this.path}/declaration/`))),
    ]);
    return { execution, leftovers };
  }

  /**
   * A Create or Update that CloudFormation no longer waits for: another resource failed and the
   * stack rolls back. What the run changed is played back here, so the rollback event (which
   * may have come first, or may name no target) finds nothing left to undo.
   */
  private async cancelled(own: LoadedClaim | undefined, mine: InFlightRecord | undefined, others: readonly LoadedClaim[],
    stack: StackState, dropClaim: boolean): Promise<SliceResult> {
    const status = `stack status ${stack.status}${stack.rootStatus ? `, root stack ${stack.rootStatus}` : ''}`;
    const what = `CloudFormation no longer waits for this ${this.event.RequestType === 'Create' ? 'creation' : 'update'} (${status})`;
    if (!own || !mine) {
      this.log.warn('cancelled before any change', { ...stack });
      throw new ReconcileError(`${this.name}: ${what}; nothing was changed.`);
    }
    this.log.warn('cancelled: playing back what the run changed', { ...stack });
    const rewound = await this.rewind(own, mine, others, dropClaim);
    if (!rewound) {
      return { IsComplete: false };
    }
    const left = rewound.leftovers;
    throw new ReconcileError(`${this.name}: ${what}; what it had changed was put back` +
      (left.length > 0 ? `, except ${accountCount(left.length)} it created that could not be removed (${namedAccounts(left)}): the claim keeps them.` : '.'));
  }

  /** A run past its budget: a create is undone, an update fails for CloudFormation's rollback to put back. */
  private async outOfTime(own: LoadedClaim | undefined, mine: InFlightRecord | undefined, others: readonly LoadedClaim[],
    undoOnFailure: boolean): Promise<SliceResult> {
    const minutes = Math.round(RUN_BUDGET_MS / 60_000);
    if (!own || !mine) {
      throw new ReconcileError(`${this.name}: the run could not start within ${minutes} minutes of the event; nothing was changed. Deploy again.`);
    }
    const { created, invited, removed } = mine.progress;
    const failure = `${this.name}: the deployment did not finish within ${minutes} minutes ` +
      `(${created} created, ${invited} invited, ${removed} removed so far; the log of request ${this.requestId} says what slowed it).`;
    this.log.error('run budget exhausted', { ...mine.progress });
    if (undoOnFailure) {
      await this.writeState(mine, 'undoing', mine.progress, failure);
      return this.undo({ ...mine, phase: 'undoing', failure }, others);
    }
    const reason = `${failure} CloudFormation's rollback puts back what it changed.`;
    await this.writeState(mine, 'failed', mine.progress, reason);
    throw new ReconcileError(reason);
  }

  /** Update while the stack rolls back: put back what the failed update changed, and the claim as it was. */
  private async rollbackUpdate(own: LoadedClaim | undefined, others: readonly LoadedClaim[]): Promise<SliceResult> {
    const record = own?.inflight;
    const matches = record !== undefined && record.requestType === 'Update'
      && record.to === fingerprint(oldProps(this.event)) && record.from === fingerprint(props(this.event));
    if (!own || !record || !matches) {
      this.log.info('rollback: the failed deployment changed nothing here');
      return this.done(emptySummary());
    }
    const rewound = await this.rewind(own, record, others, false);
    if (!rewound) {
      return { IsComplete: false };
    }
    // Failing here would leave the stack in UPDATE_ROLLBACK_FAILED: the log says what is left,
    // and the claim keeps what the update created, for the next deployment to remove.
    this.log.info('rolled back', { ...rewound.execution.summary });
    return this.done(rewound.execution.summary);
  }

  /** Delete while the stack rolls back: the failed deployment created this resource; undo what it created. */
  private async rollbackDelete(own: LoadedClaim | undefined, others: readonly LoadedClaim[]): Promise<SliceResult> {
    if (!own) {
      // A run that stopped before its claim was written changed nothing; its records go.
      this.log.info('rollback delete: no claim, nothing to undo');
      await this.ledger.delete(await this.ledger.claimNames(this.path));
      return this.done(emptySummary());
    }
    if (!own.inflight) {
      await this.deleteClaim(others);
      return this.done(emptySummary());
    }
    const rewound = await this.rewind(own, own.inflight, others, true);
    if (!rewound) {
      return { IsComplete: false };
    }
    if (rewound.leftovers.length > 0) {
      // The stack's rollback fails (ROLLBACK_FAILED): deleting the stack removes what the claim kept.
      throw new ReconcileError(failureReason(this.name, rewound.execution.problems,
        `${accountCount(rewound.leftovers.length)} created by the failed deployment could not be removed`,
        `The claim keeps ${namedAccounts(rewound.leftovers)}: deleting the stack (or this resource) removes them.`, this.requestId));
    }
    return this.done(rewound.execution.summary);
  }

  /** Delete: the claim's accounts leave unless held elsewhere (none with RETAIN); the claim goes. */
  private async destroy(own: LoadedClaim | undefined, others: readonly LoadedClaim[], census: Census | undefined): Promise<SliceResult> {
    let held: string[] = [];
    if (own) {
      held = [...heldAccounts(own)];
    } else if (this.event.CdkSecurityMembers.target !== undefined) {
      // The physical ID was never a target (the create failed or was cancelled): only a claim
      // that run wrote may say what it holds, never the properties.
      this.log.info('no claim under the target the properties name: nothing to remove', { target: this.target });
      return this.done(emptySummary());
    } else if (!this.settings.ledgerSchema) {
      // Deployed by a version without the ledger: the properties say what it declared.
      held = this.settings.members.map((m) => m.accountId);
    }
    if (this.settings.removalPolicy === 'RETAIN' || held.length === 0) {
      this.log.info(held.length === 0 ? 'nothing held: nothing to remove' : 'removalPolicy RETAIN: the members stay, the claim goes', { accounts: held.length });
      await this.deleteClaim(others);
      return this.done(emptySummary());
    }
    let read: LiveRead;
    try {
      read = await this.readLive(held, census);
    } catch (err) {
      if (!(err instanceof ReconcileError) && await this.settings.service.targetGone(err, this.ctx.clients, this.target)) {
        this.log.warn(`${this.settings.service.definition.target.noun} is gone: nothing to remove`, { target: this.target });
        await this.deleteClaim(others);
        return this.done(emptySummary());
      }
      throw err;
    }
    const protectedIds = await this.protectedAccounts(others, new Set(held));
    const plan = planMembers({ statuses: this.api.statuses, desired: [], previous: [], live: [], invite: false, removal: this.settings.removal });
    const removals = planDeletion(this.api.statuses, held, [...read.live.values()], this.settings.removal, protectedIds);
    plan.removals.disassociate.push(...removals.disassociate);
    plan.removals.delete.push(...removals.delete);
    this.log.info('plan (delete)', {
      held: held.length, disassociate: removals.disassociate, delete: removals.delete, keptHeldElsewhere: held.filter((id) => protectedIds.has(id)),
    });
    const execution = await execute(this.api, plan, read.live, this.options(this.undoDeadline));
    if (!execution.complete) {
      if (Date.now() < this.undoDeadline) {
        return { IsComplete: false };
      }
      // Before the Provider framework's own timeout, with a reason: the claim still holds the rest.
      throw new ReconcileError(`${this.name}: removing ${accountCount(removedAccounts(removals).length)} did not finish within ` +
        `${Math.round((this.undoDeadline - this.startedAt) / 60_000)} minutes (${execution.summary.removed} removed); ` +
        `the claim holds the rest: delete again to continue (the log of request ${this.requestId} says what slowed it).`);
    }
    if (execution.problems.length > 0) {
      if (this.settings.failOnUnprocessed) {
        this.log.error('removals failed', { problems: execution.problems });
        const count = new Set(execution.problems.map((p) => p.accountId)).size;
        throw new ReconcileError(failureReason(this.name, execution.problems,
          `${accountCount(count)} of ${removedAccounts(removals).length} to remove could not be removed`, undefined, this.requestId));
      }
      this.log.warn('unprocessed accounts ignored (failOnUnprocessed is false)', { problems: execution.problems });
    }
    await this.writeCensus(read.total - execution.summary.removed, read.listed, census);
    await this.deleteClaim(others);
    this.log.info('removed', { ...execution.summary });
    return this.done(execution.summary);
  }
}


/** Accounts for a reason: at most 20 named. */
function namedAccounts(accounts: readonly string[]): string {
  return `${accounts.slice(0, 20).join(', ')}${accounts.length > 20 ? ', ...' : ''}`;
}
