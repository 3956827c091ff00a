/**
 * The write-ahead journal of a run: before its first change, the prior state (status and
 * recorded email) of every account it may change or whose holding it changes, what it declared
 * (the claim generation it wrote: organizational units resolved once) and the options it keeps
 * to. Continuation, undo, cancellation and rollback read this, never the declaration again.
 */
import { recordsOf } from './claim';
import { RunContext } from './context';
import { decodeAccounts, encodeAccounts } from '../ledger/codec';
import { LoadedJournal } from '../ledger/ledger';
import { JournalPhase, JournalRecord, JournalSecret, RecordRef, RunKind, RunOptions, RunProgress } from '../ledger/records';
import { LiveMember } from '../planner';
import { MemberDeclaration } from '../properties';
import { PriorState } from '../restore-plan';

/** What a run knows before its first change, to journal. */
export interface JournalDraft {
  readonly kind: RunKind;
  readonly from?: string;
  readonly to: string;
  readonly operation?: string;
  readonly previousClaim?: string;
  /** The claim generation of the unfinished run this one takes over. */
  readonly takenOverClaim?: string;
  /** What the claim held before, when that is not `previousClaim`'s accounts. */
  readonly previousAccounts?: readonly string[];
  readonly options: RunOptions;
  /** Every account the run may change or whose holding it changes, with how it stood. */
  readonly prior: ReadonlyMap<string, PriorState>;
  readonly unmanaged: ReadonlySet<string>;
  readonly protected: ReadonlySet<string>;
  readonly onlyChanges?: boolean;
  /**
   * Declared emails of the accounts the run creates or recreates, and of members whose service
   * records none (Macie's organization accounts), which an undo creates again.
   */
  readonly create: ReadonlyMap<string, string>;
  /**
   * Set when the administrator is the organization's delegated administrator and the declaration
   * has organizational units: the static members; every other declared account is an organization account.
   */
  readonly staticMembers?: readonly string[];
}

export const NO_PROGRESS: RunProgress = { created: 0, invited: 0, removed: 0 };

/** How the scope's accounts stood: from live state, or (for those an unfinished run already changed) as that run journaled them. */
export function priorOf(scope: Iterable<string>, live: ReadonlyMap<string, LiveMember>,
  inherited?: ReadonlyMap<string, PriorState>): Map<string, PriorState> {
  const prior = new Map<string, PriorState>();
  for (const id of scope) {
    if (inherited?.has(id)) {
      prior.set(id, inherited.get(id));
    } else {
      const member = live.get(id);
      prior.set(id, member ? { status: member.status, email: member.email } : undefined);
    }
  }
  return prior;
}

/** The declaration record the run wrote, and the emails it holds. */
export interface WrittenDeclaration {
  readonly ref: RecordRef;
  readonly members: readonly MemberDeclaration[];
  /** The claim's declaration record before the run, as read: prior emails it holds are not written again. */
  readonly previous?: { readonly ref: RecordRef; readonly emails: ReadonlyMap<string, string> };
}

/**
 * The journal record and its secret for `draft`, naming the claim generation the run writes and
 * its declaration record: emails that record holds are not written again.
 */
export function journalOf(run: RunContext, draft: JournalDraft, claimGeneration: string,
  declaration: WrittenDeclaration): { record: JournalRecord; secret: JournalSecret } {
  const byStatus = new Map<string, string[]>();
  const priorEmails: Record<string, string> = {};
  for (const [id, state] of draft.prior) {
    if (!state) continue;
    byStatus.set(state.status, [...(byStatus.get(state.status) ?? []), id]);
    if (state.email) priorEmails[id] = state.email;
  }
  const record: JournalRecord = {
    v: 3,
    requestId: run.requestId,
    kind: draft.kind,
    stackId: run.key.stackId,
    logicalId: run.key.logicalId,
    from: draft.from,
    to: draft.to,
    startedAt: run.startedAt,
    operation: draft.operation,
    claimGeneration,
    previousClaim: draft.previousClaim,
    takenOverClaim: draft.takenOverClaim,
    previousAccounts: draft.previousAccounts ? encodeAccounts(draft.previousAccounts) : undefined,
    options: draft.options,
    touched: encodeAccounts(draft.prior.keys()),
    prior: Object.fromEntries([...byStatus].map(([status, ids]) => [status, encodeAccounts(ids)])),
    unmanaged: encodeAccounts(draft.unmanaged),
    protected: encodeAccounts(draft.protected),
    onlyChanges: draft.onlyChanges || undefined,
    staticMembers: draft.staticMembers ? encodeAccounts(draft.staticMembers) : undefined,
    declaration: declaration.ref,
  };
  const create = inRecord(draft.create, new Map(declaration.members.map((m) => [m.accountId, m.email])));
  const prior = inRecord(new Map(Object.entries(priorEmails)), declaration.previous?.emails);
  return {
    record: {
      ...record,
      createDeclared: create.recorded.length > 0 ? encodeAccounts(create.recorded) : undefined,
      priorDeclaration: prior.recorded.length > 0 ? declaration.previous?.ref : undefined,
      priorDeclared: prior.recorded.length > 0 ? encodeAccounts(prior.recorded) : undefined,
    },
    // The invitation message is the declaration record's.
    secret: { create: Object.fromEntries(create.rest), prior: Object.fromEntries(prior.rest) },
  };
}

/** The accounts whose email `record` holds as it is, and the emails of the rest. */
function inRecord(emails: ReadonlyMap<string, string>,
  record: ReadonlyMap<string, string> | undefined): { recorded: string[]; rest: Map<string, string> } {
  const recorded = [...emails].filter(([id, email]) => record?.get(id) === email).map(([id]) => id);
  const rest = new Map([...emails].filter(([id, email]) => record?.get(id) !== email));
  return { recorded, rest };
}

/** The journal's scope: the accounts the run may change, and no other. */
export function scopeOf(journal: JournalRecord): string[] {
  return decodeAccounts(journal.touched);
}

/** How every account of the scope stood before the run (emails from the secret). */
export function decodePrior(journal: JournalRecord, secret: JournalSecret): Map<string, PriorState> {
  const prior = new Map<string, PriorState>(scopeOf(journal).map((id) => [id, undefined]));
  for (const [status, ids] of Object.entries(journal.prior)) {
    for (const id of decodeAccounts(ids)) {
      prior.set(id, { status, email: secret.prior[id] });
    }
  }
  return prior;
}

/** A phase change or progress of the run: a small record beside the journal. */
export async function writeState(run: RunContext, journal: JournalRecord, phase: JournalPhase, progress: RunProgress,
  failure?: string): Promise<void> {
  await recordsOf(run).writeState(journal, { phase, progress, failure });
}

/** Progress so far, plus what this invocation did. */
export function addProgress(progress: RunProgress, summary: RunProgress): RunProgress {
  return {
    created: progress.created + summary.created,
    invited: progress.invited + summary.invited,
    removed: progress.removed + summary.removed,
  };
}

/** Whether a journal is this request's own run (the Provider framework may execute a request twice: the same run). */
export function isOwnRun(journal: LoadedJournal | undefined, requestId: string): journal is LoadedJournal {
  return journal !== undefined && journal.record.kind !== 'Sync' && journal.record.requestId === requestId;
}
