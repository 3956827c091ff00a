/**
 * Which accounts a declaration holds, read from the ledger: the one rule the handler and `plan`
 * share for "another declaration holds it, so it is never removed". Pure but for the two
 * lookups it is given (organizational units, stacks).
 */
import { decodeAccounts } from './codec';
import { claimAccounts, LoadedClaim, LoadedJournal, recordHolds } from './ledger';
import { JournalRecord } from './records';

/** Whether a run is not finished: in progress, dead half-way, failed, or undoing itself. */
export function isUnfinished(journal: LoadedJournal | undefined): journal is LoadedJournal {
  const phase = journal?.state.phase;
  return phase === 'running' || phase === 'failed' || phase === 'undoing';
}

/** The accounts a journal's run declared: those of the claim generation it wrote. */
export function journalDesired(claim: LoadedClaim, journal: JournalRecord): string[] {
  return decodeAccounts(claim.generations.get(journal.claimGeneration)?.accounts);
}

/** The accounts the claim held before a journal's run. */
export function journalPrevious(claim: LoadedClaim, journal: JournalRecord): string[] {
  const { previousAccounts, previousClaim } = journal;
  if (previousAccounts !== undefined) return decodeAccounts(previousAccounts);
  return previousClaim ? recordHolds(claim.generations.get(previousClaim)) : [];
}

/**
 * What a claim holds for another run's removals: its newest generation's accounts. A run writes
 * its claim before its first change, so that covers what an unfinished run is adding.
 */
export function heldByClaim(claim: LoadedClaim): Set<string> {
  return new Set(claimAccounts(claim));
}

/** The organizational-unit declarations of other claims, with their exclusions. */
export interface UnitDeclaration {
  readonly units: readonly string[];
  readonly exclude: readonly string[];
}

/** What keeps removal candidates: the stack's other constructs of the service, and the target's other claims. */
export interface ElsewhereInput {
  readonly candidates: ReadonlySet<string>;
  /** Static members of the stack's other constructs of this service. */
  readonly siblingAccounts: readonly string[];
  /** Their organizational units, each with its exclusions, resolved now (only when there are candidates). */
  readonly siblingUnits: readonly UnitDeclaration[];
  readonly resolveUnits: (declaration: UnitDeclaration) => Promise<ReadonlySet<string>>;
  /** The target's other claims. */
  readonly others: readonly LoadedClaim[];
  /** The own stack: its claims always count. */
  readonly stackId: string;
  /** Whether a stack no longer exists (its claims never block a removal). */
  readonly stackGone: (stackId: string) => Promise<boolean>;
  /** Accounts other journals may still put back (a rollback of the same stack operation), held too. */
  readonly pendingRestores?: ReadonlySet<string>;
  /**
   * Other claims hold only what they record (their OUs are not resolved again). A resource's
   * Delete keeps nothing for a declaration that has not taken it yet: it cannot keep holding it
   * for that declaration, as a claim that goes on can.
   */
  readonly recordedOnly?: boolean;
}

/**
 * The candidates some other live declaration holds now (never removed), and the claims of
 * stacks that no longer exist (which hold nothing). Another claim holds what it recorded and,
 * for its organizational units, what they hold now: an account moved into another declaration's
 * OU is kept even before that declaration runs again.
 */
export async function accountsHeldElsewhere(input: ElsewhereInput): Promise<{ held: Set<string>; gone: LoadedClaim[] }> {
  const { candidates } = input;
  const held = new Set<string>();
  const keep = (ids: Iterable<string>) => {
    for (const id of ids) if (candidates.has(id)) held.add(id);
  };
  keep(input.siblingAccounts);
  keep(input.pendingRestores ?? []);
  const gone: LoadedClaim[] = [];
  if (candidates.size === 0) {
    return { held, gone };
  }
  const units: UnitDeclaration[] = [...input.siblingUnits];
  await Promise.all(input.others.map(async (other) => {
    const own = other.key.stackId === input.stackId;
    const ids = heldByClaim(other);
    const blocking = [...candidates].some((id) => ids.has(id));
    const declared = input.recordedOnly ? [] : other.record?.declaration.organizationalUnits ?? [];
    if ((blocking || declared.length > 0) && !own && await input.stackGone(other.key.stackId)) {
      gone.push(other);
      return;
    }
    keep(ids);
    if (declared.length > 0 && !input.recordedOnly) units.push({ units: declared, exclude: other.record?.declaration.excludeAccounts ?? [] });
  }));
  for (const declaration of dedupe(units)) {
    if ([...candidates].every((id) => held.has(id))) break;
    keep(await input.resolveUnits(declaration));
  }
  return { held, gone };
}

function dedupe(declarations: readonly UnitDeclaration[]): UnitDeclaration[] {
  const seen = new Map<string, UnitDeclaration>();
  for (const d of declarations) {
    seen.set(`${[...d.units].sort().join(',')}|${[...d.exclude].sort().join(',')}`, d);
  }
  return [...seen.values()];
}
