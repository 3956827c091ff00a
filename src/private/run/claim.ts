/**
 * A resource's records in the ledger as one run writes them: its claim (a new generation per
 * run, written before the run's first change, with the SecureString declaration beside it), its
 * journal, and the one cleanup after every run, whatever its outcome, that deletes every
 * generation nothing needs any more (failed syncs' included).
 */
import { RunContext } from './context';
import { Declaration, declaredSettings } from '../declaration';
import { liveOthers } from './protection';
import { decodeAccounts, encodeAccounts, newGeneration } from '../ledger/codec';
import { parseRecordName, recordNames, recordRef } from '../ledger/ledger';
import { ClaimRecord, JournalPhase, JournalRecord, JournalSecret, JournalState, RecordRef } from '../ledger/records';
import { ParameterWrite } from '../ledger/store';

/** The claim generation and journal that are current for the resource. */
interface Current {
  claim?: { readonly generation: string; readonly declaration?: RecordRef };
  journal?: { readonly generation: string; readonly record: JournalRecord };
  phase?: JournalPhase;
  /** The journal's prior settings (how the accounts whose settings it changed stood) and their record's generation. */
  settings?: { prior: Map<string, Readonly<Record<string, string>>>; generation: string };
}

const byRun = new WeakMap<RunContext, ResourceRecords>();

/** The resource's records as this run sees and writes them (one instance per run). */
export function recordsOf(run: RunContext): ResourceRecords {
  let records = byRun.get(run);
  if (!records) {
    records = new ResourceRecords(run);
    byRun.set(run, records);
  }
  return records;
}

/** The accounts a claim generation holds. */
export interface ClaimHoldings {
  readonly accounts: Iterable<string>;
  /** Those that were members, held by no declaration, when the claim took them. */
  readonly adopted: Iterable<string>;
  /** Those no longer declared that another declaration's units hold, recorded by no claim yet. */
  readonly retained: readonly string[];
}

export class ResourceRecords {
  private readonly current: Current;
  /** Names this run wrote (the cleanup's listing is from before them). */
  private readonly written = new Set<string>();
  private readonly deleted = new Set<string>();

  constructor(private readonly run: RunContext) {
    const own = run.own;
    this.current = {
      claim: own?.generation ? { generation: own.generation, declaration: own.record?.declarationRecord } : undefined,
      journal: own?.journal ? { generation: own.journal.generation, record: own.journal.record } : undefined,
      phase: own?.journal?.state.phase,
      settings: own?.journal?.settings && { prior: new Map(own.journal.settings.prior), generation: own.journal.settings.generation },
    };
  }

  /** The prior settings the current journal records (none yet: empty). */
  get settingsPrior(): ReadonlyMap<string, Readonly<Record<string, string>>> {
    return this.current.settings?.prior ?? new Map();
  }

  /**
   * Adds to the journal how `prior`'s accounts stood before their settings change (an account
   * already recorded keeps its first record: a continuation must not record an intermediate state).
   */
  async writeSettingsPrior(journal: JournalRecord, prior: ReadonlyMap<string, Readonly<Record<string, string>>>): Promise<void> {
    const merged = new Map(prior);
    this.settingsPrior.forEach((values, id) => merged.set(id, { ...merged.get(id), ...values }));
    const writes = this.run.ledger.settingsWrites(this.run.path, journal.requestId, merged);
    await this.put(writes);
    this.current.settings = { prior: merged, generation: parseRecordName(writes[0].name)!.generation };
  }

  /** A phase change or progress of the run: a small record beside the journal. */
  async writeState(journal: JournalRecord, state: Omit<JournalState, 'requestId'>): Promise<void> {
    await this.put(this.run.ledger.stateWrites(this.run.path, { ...state, requestId: journal.requestId }));
    this.current.phase = state.phase;
  }

  /**
   * The declaration's emails and message (SecureString): nothing names the record until the
   * claim does, so the run writes it while it reads live state.
   */
  async writeDeclaration(declaration: Declaration): Promise<RecordRef> {
    const writes = this.run.ledger.declarationWrites(this.run.path, {
      members: declaration.members.map((m) => [m.accountId, m.email] as const),
      message: declaration.message,
    });
    await this.put(writes);
    return recordRef(writes)!;
  }

  /** A claim generation holding `accounts` for `declaration`, whose emails are in the record `declarationRecord`. */
  claimOf(declaration: Declaration, holdings: ClaimHoldings, declarationRecord: RecordRef): ClaimRecord {
    const { run } = this;
    return {
      v: 3,
      stackId: run.key.stackId,
      logicalId: run.key.logicalId,
      service: run.service.definition.name,
      target: run.target,
      fingerprint: declaration.fingerprint,
      declaration: declaredSettings(declaration),
      accounts: encodeAccounts(holdings.accounts),
      adopted: encodeAccounts(holdings.adopted),
      retained: holdings.retained.length > 0 ? encodeAccounts(holdings.retained) : undefined,
      declarationRecord,
      updatedAt: new Date().toISOString(),
    };
  }

  /**
   * Before the run's first change: the journal's secret, then the journal, the claim generation
   * `claimGeneration` and the prior settings of the accounts the run removes, in one round. The
   * claim counts only once its journal is complete (`committedClaims`): a round cut short leaves
   * the claim as it was.
   */
  async writeAhead(journal: JournalRecord, secret: JournalSecret, claim: ClaimRecord, claimGeneration: string,
    leavingSettings: ReadonlyMap<string, Readonly<Record<string, string>>>): Promise<JournalRecord> {
    const { run } = this;
    const generation = newGeneration();
    const writes = run.ledger.journalWrites(run.path, journal, secret, generation);
    if (writes.secret.length > 0) await this.put(writes.secret);
    const settings = leavingSettings.size > 0 ? run.ledger.settingsWrites(run.path, journal.requestId, leavingSettings) : [];
    const outcomes = await Promise.allSettled([
      this.put(writes.journal),
      this.put(run.ledger.claimWrites(run.path, { ...claim, journal: generation }, claimGeneration)),
      this.put(settings),
    ]);
    const [journalWritten, claimWritten, settingsWritten] = outcomes.map((outcome) => outcome.status === 'fulfilled');
    if (journalWritten) {
      // Kept whatever became of the rest: an undo or a rollback finds it (the run changed nothing yet).
      this.current.journal = { generation, record: writes.record };
      this.current.phase = 'running';
      this.current.settings = settings.length > 0 && settingsWritten
        ? { prior: new Map(leavingSettings), generation: parseRecordName(settings[0].name)!.generation }
        : undefined;
      if (claimWritten) this.current.claim = { generation: claimGeneration, declaration: claim.declarationRecord };
    }
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
    }
    return writes.record;
  }

  /**
   * Puts the claim back as it was before `journal`'s run: its generation goes (without an
   * earlier one, the claim goes). Accounts the run created that are still members (`leftovers`)
   * stay in a claim, so the next deployment or the stack's deletion removes them.
   */
  async restoreClaim(journal: JournalRecord, leftovers: readonly string[]): Promise<void> {
    const { run } = this;
    const written = run.own?.generations.get(journal.claimGeneration);
    const previous = journal.previousClaim ? run.own?.generations.get(journal.previousClaim) : undefined;
    if (leftovers.length > 0 && (previous ?? written)) {
      const base = (previous ?? written)!;
      const record: ClaimRecord = {
        ...base,
        accounts: encodeAccounts([...(previous ? decodeAccounts(previous.accounts) : []), ...leftovers]),
        retained: previous?.retained,
        // Written by the undo alone, with no journal of its own: it counts (committedClaims).
        journal: undefined,
        updatedAt: new Date().toISOString(),
      };
      const generation = newGeneration();
      await this.put(run.ledger.claimWrites(run.path, record, generation));
      this.current.claim = { generation, declaration: record.declarationRecord };
      return;
    }
    // The generation's declaration record goes with the cleanup, once the journal no longer names it.
    const prefix = `${run.path}/claim/${journal.claimGeneration}/`;
    await this.drop((await this.known()).filter((name) => name.startsWith(prefix)));
    this.current.claim = previous && journal.previousClaim
      ? { generation: journal.previousClaim, declaration: previous.declarationRecord }
      : undefined;
  }

  /**
   * Every record of the resource goes; with the target's last claim, the census and whatever else
   * is left under the target go too (the lock goes with its release).
   */
  async deleteAll(): Promise<void> {
    const { run } = this;
    await this.drop(await this.known());
    this.current.claim = undefined;
    this.current.journal = undefined;
    if (liveOthers(run).length === 0) {
      await run.ledger.deleteTargetRecords();
    }
  }

  /**
   * What the cleanup after every run deletes: every generation of the resource but the newest
   * claim, the one before it while a deployment journal may still be played back, the
   * declarations they and the journal name, and the newest journal with its secret and state.
   * The names are those listed when the run took the lock, and those it wrote since.
   */
  async staleNames(): Promise<string[]> {
    const { run, current } = this;
    const phase = current.phase;
    const keep = new Set<string>();
    const keepRecord = (ref: RecordRef | undefined) => ref && recordNames(ref).forEach((name) => keep.add(name));
    const journal = current.journal?.record;
    const generations = new Set<string>([current.claim?.generation, current.journal?.generation, journal?.secret?.generation,
      current.settings?.generation].filter((g): g is string => g !== undefined));
    keepRecord(current.claim?.declaration);
    keepRecord(journal?.declaration);
    keepRecord(journal?.priorDeclaration);
    // The claim before the run stays while its journal may be played back (a deployment's) or
    // taken over (any unfinished run's: the next run starts from what that one held before).
    const unfinished = phase === 'running' || phase === 'failed' || phase === 'undoing';
    if (journal && journal.previousClaim && (unfinished || (journal.kind !== 'Sync' && phase !== 'undone'))) {
      generations.add(journal.previousClaim);
      keepRecord(run.own?.generations.get(journal.previousClaim)?.declarationRecord);
    }
    const names = await this.known();
    const newestState = names.map(parseRecordName).filter((p) => p?.kind === 'journal-state').map((p) => p!.generation).sort().pop();
    return names.filter((name) => {
      const parsed = parseRecordName(name);
      if (!parsed || keep.has(name)) return false;
      if (parsed.kind === 'journal-state') return parsed.generation !== newestState;
      if (parsed.kind === 'declaration') return true;
      return !generations.has(parsed.generation);
    });
  }

  /** The resource's parameter names: those listed when the run took the lock, and those it wrote since, less those it deleted. */
  private async known(): Promise<string[]> {
    const listed = await this.run.ownNames;
    return [...new Set([...listed, ...this.written])].filter((name) => !this.deleted.has(name));
  }

  private async drop(names: readonly string[]): Promise<void> {
    await this.run.ledger.delete(names);
    names.forEach((name) => this.deleted.add(name));
  }

  /** Writes `writes`, remembering their names for the cleanup (a write cut short is cleaned up too). */
  private async put(writes: readonly ParameterWrite[]): Promise<void> {
    writes.forEach((w) => this.written.add(w.name));
    await this.run.ledger.write(writes);
  }
}
