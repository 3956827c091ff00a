/**
 * CloudFormation events into one locked run. The Provider framework calls `startEvent` once
 * (onEvent: validate, name the target) and `continueEvent` until it answers complete
 * (isComplete: this invocation's share). Every invocation takes the target's lock first and only
 * then reads claims, journal and stack status; then it hands over to one path.
 */
import { randomUUID } from 'crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { LOCK_TTL_MS, RUN_BUDGET_MS } from './budgets';
import { recordsOf } from './claim';
import { InvocationContext, openRun, readTarget, RunContext, RunTarget } from './context';
import { destroy } from './delete';
import { forward } from './forward';
import { done, SliceResult } from './outcome';
import { rollbackDelete, rollbackUpdate } from './rollback';
import { undoDeadline } from './undo';
import { Declaration, parseDeclaration } from '../declaration';
import { describeError, ReconcileError } from '../engine';
import { fingerprint } from '../ledger/codec';
import { ReconcileProperties } from '../properties';
import { MEMBER_SERVICES } from '../services/registry';
import { isRollingBack, Stacks } from '../stacks';

/** What the handler passes from the Provider framework's onEvent call to its isComplete calls. */
export interface EventState {
  readonly startedAt: number;
  /** This execution of the request: the Provider framework may start one request twice, and the two must not share the lock. */
  readonly runId?: string;
  /** The target of a Delete whose physical ID is not one (a cancelled create's): from the properties. */
  readonly target?: string;
  /**
   * Whether CloudFormation sent the event while rolling the stack back, told at onEvent for an
   * Update or Delete: a forward Update that finds the stack rolling back later was cancelled, it is
   * not the rollback. Unset for a Create, which CloudFormation sends only going forward.
   */
  readonly rollback?: boolean;
  /** An Update onto a different target (a replacement: the old one's Delete follows). */
  readonly replacement?: boolean;
  /** A Delete of something that never was a target: nothing to do. */
  readonly skip?: boolean;
}

export interface StartResult {
  readonly PhysicalResourceId: string;
  readonly CdkSecurityMembers: EventState;
}

type Event = CloudFormationCustomResourceEvent;
export type ContinuedEvent = Event & { PhysicalResourceId: string; CdkSecurityMembers: EventState };

const props = (event: Event) => event.ResourceProperties as unknown as ReconcileProperties;
const oldProps = (event: Event) => (event.RequestType === 'Update' ? event.OldResourceProperties as unknown as ReconcileProperties : undefined);

function declarationOf(event: Event, invocation: InvocationContext): Declaration {
  return parseDeclaration(props(event), invocation.adminAccount, event.RequestType !== 'Delete', MEMBER_SERVICES);
}

/** onEvent: validate the declaration and name the target (the physical ID); the work runs in `continueEvent`. */
export async function startEvent(event: Event, invocation: InvocationContext): Promise<StartResult> {
  const declaration = declarationOf(event, invocation);
  const state = { startedAt: Date.now(), runId: randomUUID() };
  // Read beside the target, not before it. Not for a Create: CloudFormation sends it only going forward.
  const readRollback = event.RequestType === 'Create'
    ? Promise.resolve(undefined)
    : new Stacks(invocation.clients(CloudFormationClient)).state(event.StackId).then(isRollingBack);
  readRollback.catch(() => undefined);
  const { service } = declaration;
  if (event.RequestType === 'Delete') {
    const rollback = await readRollback;
    if (service.isTarget(event.PhysicalResourceId)) {
      return { PhysicalResourceId: event.PhysicalResourceId, CdkSecurityMembers: { ...state, rollback } };
    }
    // CloudFormation never heard back from the Create (it failed first, or was cancelled): the
    // physical ID is one it made up. A cancelled run may have changed members before it stopped,
    // so its records are looked for where the properties point.
    const target = await service.resolveTarget(props(event), invocation.clients).catch((err: unknown) => {
      invocation.log.info('delete: no target from the properties', { error: describeError(err) });
      return undefined;
    });
    invocation.log.info('delete of a resource CloudFormation knows by a made-up physical ID', { physicalId: event.PhysicalResourceId, target });
    return { PhysicalResourceId: event.PhysicalResourceId, CdkSecurityMembers: { ...state, rollback, target, skip: target === undefined } };
  }
  const [target, rollback] = await Promise.all([service.resolveTarget(props(event), invocation.clients), readRollback]);
  const replacement = event.RequestType === 'Update' && event.PhysicalResourceId !== target;
  invocation.log.info('target', { target, replacement });
  return { PhysicalResourceId: target, CdkSecurityMembers: { ...state, rollback, replacement } };
}

/** isComplete: this invocation's share of the work, under the target's lock. */
export async function continueEvent(event: ContinuedEvent, invocation: InvocationContext): Promise<SliceResult> {
  const declaration = declarationOf(event, invocation);
  const state = event.CdkSecurityMembers;
  const target = state.target ?? event.PhysicalResourceId;
  if (state.skip) {
    invocation.log.warn(`physical ID is not a ${declaration.service.definition.target.noun}: nothing to remove`, { target: event.PhysicalResourceId });
    return done(declaration.service.definition, event.PhysicalResourceId);
  }
  const base = openRun(invocation, {
    service: declaration.service,
    target,
    key: { stackId: event.StackId, logicalId: event.LogicalResourceId },
    requestId: event.RequestId,
    owner: `${event.RequestId}/${state.runId ?? state.startedAt}`,
    startedAt: state.startedAt,
  });
  const lock = await base.ledger.lock.acquire(base.owner, LOCK_TTL_MS);
  if (!lock.acquired) {
    return waitForLock(base, lock.holder, state.rollback === true);
  }
  return underLock(base, async (run) => dispatch(run, event, declaration));
}

/** Another run holds the target: wait (answer not complete), within the run's budget. */
function waitForLock(run: RunTarget, holder: string, rollback: boolean): SliceResult {
  // A rollback may wait longer: the failed run it undoes may still hold the lock.
  const limit = rollback ? undoDeadline(run as RunContext) : run.startedAt + RUN_BUDGET_MS;
  if (Date.now() > limit) {
    throw new ReconcileError(`${run.service.definition.name}: waited ${Math.round((Date.now() - run.startedAt) / 60_000)} minutes for another run on ` +
      `this ${run.service.definition.target.noun} (${holder}) to finish; no member was changed. Deploy again.`);
  }
  run.log.info('another run holds the target: waiting', { holder });
  return { IsComplete: false };
}

/**
 * Runs `work` with the lock held, then the one cleanup every run gets whatever its outcome, and
 * the release. Between invocations of one run the lock stays: nothing else changes the target meanwhile.
 */
export async function underLock(base: RunTarget, work: (run: RunContext) => Promise<SliceResult>): Promise<SliceResult> {
  let run: RunContext | undefined;
  let result: SliceResult | undefined;
  try {
    run = await readTarget(base);
    result = await work(run);
    return result;
  } finally {
    if (result?.IsComplete !== false) {
      await finish(base, run);
    }
  }
}

/** The cleanup's deletes go in the lock's release call: one round trip for both. */
async function finish(base: RunTarget, run: RunContext | undefined): Promise<void> {
  let stale: string[] = [];
  try {
    if (run) stale = await recordsOf(run).staleNames();
  } catch (err) {
    base.log.warn('clean-up of older records failed: the next run tries again', { error: describeError(err) });
  }
  try {
    await base.ledger.lock.release(base.owner, stale);
  } catch (err) {
    if (stale.length === 0) throw err;
    base.log.warn('clean-up of older records failed: the next run tries again', { error: describeError(err) });
    await base.ledger.lock.release(base.owner);
  }
}

function dispatch(run: RunContext, event: ContinuedEvent, declaration: Declaration): Promise<SliceResult> {
  const state = event.CdkSecurityMembers;
  const rollback = state.rollback ?? isRollingBack(run.stack);
  run.log.info('event', { ...run.stack, rollback, claims: run.claims.length, ownClaim: run.own?.record !== undefined, journal: run.own?.journal?.state.phase });
  switch (event.RequestType) {
    case 'Create':
      return forward(run, { kind: 'Create', declaration });
    case 'Update':
      return rollback
        ? rollbackUpdate(run, fingerprint(oldProps(event)))
        : forward(run, { kind: 'Update', declaration, oldProps: oldProps(event), oldFingerprint: fingerprint(oldProps(event)), replacement: state.replacement });
    case 'Delete':
      return rollback ? rollbackDelete(run) : destroy(run, declaration, state.target !== undefined);
  }
}
