/**
 * Which accounts other declarations hold, as a run decides what it may remove: the one place
 * the run asks. Claims of stacks that no longer exist hold nothing and are cleaned up here.
 */
import { RunContext, resolveUnits } from './context';
import { decodeAccounts } from '../ledger/codec';
import { accountsHeldElsewhere, heldByClaim, journalDesired, journalPrevious, UnitDeclaration } from '../ledger/held';
import { LoadedClaim } from '../ledger/ledger';

/** The stack's other constructs of the service, known from synth time (their emails aside). */
export interface Siblings {
  readonly accounts: readonly string[];
  readonly units: readonly UnitDeclaration[];
}

/** No sibling declarations: the claims alone say what others hold. */
export const NO_SIBLINGS: Siblings = { accounts: [], units: [] };

/** Claim paths this invocation found to belong to deleted stacks and removed. */
const cleanedUp = new WeakMap<RunContext, Set<string>>();

/** The other claims that still count: those of deleted stacks found in this invocation are gone. */
export function liveOthers(run: RunContext): LoadedClaim[] {
  const gone = cleanedUp.get(run);
  return run.others.filter((claim) => !gone?.has(claim.path));
}

/**
 * The accounts among `candidates` that another live declaration holds now: never removed. The
 * siblings' and other claims' organizational units are resolved now, with their own exclusions.
 */
export async function heldElsewhere(run: RunContext, candidates: ReadonlySet<string>, siblings: Siblings,
  pending?: ReadonlySet<string>, recordedOnly = false): Promise<Set<string>> {
  const { held, gone } = await accountsHeldElsewhere({
    candidates,
    siblingAccounts: siblings.accounts,
    siblingUnits: siblings.units,
    resolveUnits: async ({ units, exclude }) => new Set((await resolveUnits(run, units, exclude)).accounts.keys()),
    others: liveOthers(run),
    stackId: run.key.stackId,
    stackGone: (stackId) => run.stacks.gone(stackId),
    pendingRestores: pending,
    recordedOnly,
  });
  for (const claim of gone) {
    run.log.info('claim of a deleted stack ignored and cleaned up', { stackId: claim.key.stackId, logicalId: claim.key.logicalId });
    await run.ledger.delete(await run.ledger.namesBelow(claim.path));
    const paths = cleanedUp.get(run) ?? new Set<string>();
    paths.add(claim.path);
    cleanedUp.set(run, paths);
  }
  return held;
}

/** Accounts some other live claim records. */
export function recordedElsewhere(run: RunContext): Set<string> {
  const recorded = new Set<string>();
  for (const other of liveOthers(run)) {
    heldByClaim(other).forEach((id) => recorded.add(id));
  }
  return recorded;
}

/** Accounts some other claim records, or a sibling declares statically: not unmanaged. */
export function claimedElsewhere(run: RunContext, siblings: Siblings): Set<string> {
  const claimed = new Set<string>(siblings.accounts);
  for (const other of liveOthers(run)) {
    heldByClaim(other).forEach((id) => claimed.add(id));
  }
  return claimed;
}

/**
 * What the journals of the same stack operation may still put back: a resource of the stack
 * that is rolled back too brings back what it held before. Counts only while the stack is not
 * settled, and only journals written during the operation `operation` names.
 */
export function pendingRestores(run: RunContext, operation: string | undefined): Set<string> {
  const pending = new Set<string>();
  if (operation === undefined) return pending;
  for (const other of liveOthers(run)) {
    const journal = other.journal;
    if (other.key.stackId !== run.key.stackId || !journal || journal.record.kind === 'Sync'
      || journal.state.phase === 'undone' || journal.record.operation !== operation) continue;
    [...journalPrevious(other, journal.record), ...journalDesired(other, journal.record)].forEach((id) => pending.add(id));
  }
  return pending;
}

/** The sibling declarations a claim records. */
export function recordedSiblings(claim: LoadedClaim | undefined): Siblings {
  const declared = claim?.record?.declaration;
  return {
    accounts: decodeAccounts(declared?.siblingAccounts),
    units: (declared?.siblingUnits ?? []).map((d) => ({ units: d.units, exclude: d.exclude })),
  };
}
