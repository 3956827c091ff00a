/**
 * What a forward run starts from: the accounts its declaration resolves to (organizational
 * units resolved here, once per run) and what the resource held before.
 */
import { RunContext, resolveUnits } from './context';
import { decodePrior } from './journal';
import { Declaration, readDeclaredMembers } from '../declaration';
import { decodeAccounts } from '../ledger/codec';
import { isUnfinished, journalPrevious } from '../ledger/held';
import { claimAccounts, recordHolds } from '../ledger/ledger';
import { RunKind } from '../ledger/records';
import { unionDeclaration } from '../planner';
import { MemberDeclaration, ReconcileProperties, SCHEMA_VERSION } from '../properties';
import { PriorState } from '../restore-plan';

/** The declared members: the static ones, and the ACTIVE accounts of the organizational units. */
export async function resolveDeclared(run: RunContext, declaration: Declaration): Promise<{
  desired: MemberDeclaration[];
  fromOrganizations: string[];
}> {
  const { members, organizationalUnits, excludeAccounts } = declaration;
  if (organizationalUnits.length === 0) {
    return { desired: members, fromOrganizations: [] };
  }
  const resolved = await resolveUnits(run, organizationalUnits, excludeAccounts);
  const union = unionDeclaration(members, resolved.accounts);
  run.log.info('organization accounts', {
    organizationalUnits,
    active: resolved.accounts.size,
    declared: union.fromOrganizations.length,
    inactiveSkipped: resolved.inactive,
  });
  return union;
}

/** What an unfinished earlier run of the resource left: the next run takes its place, and its prior states. */
export interface Inherited {
  /** What that run's claim held before it and what it declared: the new run's previous accounts. */
  readonly previous: string[];
  readonly previousClaim?: string;
  readonly from?: string;
  /** Its journal's prior states (deployments only: a rollback goes back to before it). */
  readonly prior?: ReadonlyMap<string, PriorState>;
  readonly unmanaged: string[];
  readonly create: ReadonlyMap<string, string>;
}

/** The unfinished run a new run takes over from, if the resource's journal has one that is not this request's. */
export async function inheritedRun(run: RunContext): Promise<Inherited | undefined> {
  const own = run.own;
  const journal = own?.journal;
  if (!own || !isUnfinished(journal) || journal.record.requestId === run.requestId) {
    return undefined;
  }
  const previous = [...new Set([...journalPrevious(own, journal.record), ...recordHolds(own.generations.get(journal.record.claimGeneration))])];
  if (journal.record.kind === 'Sync') {
    return { previous, previousClaim: own.generation, unmanaged: [], create: new Map() };
  }
  const secret = await run.ledger.loadJournalSecret(journal.record);
  run.log.info('an unfinished run of this resource is taken over', { requestId: journal.record.requestId, phase: journal.state.phase });
  return {
    previous,
    previousClaim: journal.record.previousClaim,
    from: journal.record.from,
    prior: decodePrior(journal.record, secret),
    unmanaged: decodeAccounts(journal.record.unmanaged),
    create: new Map(Object.entries(secret.create)),
  };
}

/** What the resource held before this run, and whether only declaration changes act (the first event after an upgrade). */
export function previousHoldings(run: RunContext, kind: RunKind, oldProps: ReconcileProperties | undefined, replacement: boolean,
  inherited: Inherited | undefined): { previous: string[]; onlyChanges: boolean; fromProperties: boolean } {
  if (inherited) {
    return { previous: inherited.previous, onlyChanges: false, fromProperties: false };
  }
  if (run.own?.record) {
    return { previous: claimAccounts(run.own), onlyChanges: false, fromProperties: false };
  }
  if (kind !== 'Update' || replacement) {
    return { previous: [], onlyChanges: false, fromProperties: false };
  }
  // No claim: the old properties say what it held. Deployed by a version without the ledger,
  // this first event acts only on what the declaration changes (the upgrade itself changes no membership).
  const previous = readDeclaredMembers(oldProps).map((m) => m.accountId);
  const onlyChanges = oldProps?.Schema !== SCHEMA_VERSION;
  run.log.info('no claim yet: built from the previous properties', { accounts: previous.length, upgrade: onlyChanges });
  return { previous, onlyChanges, fromProperties: true };
}
