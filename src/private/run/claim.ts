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

export class ResourceRecords {
  private readonly current: Current;

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
    await this.run.ledger.write(writes);
    this.current.settings = { prior: merged, generation: parseRecordName(writes[0].name)!.generation };
  }

  /** A phase change or progress of the run: a small record beside the journal. */
  async writeState(journal: JournalRecord, state: Omit<JournalState, 'requestId'>): Promise<void> {
    await this.run.ledger.write(this.run.ledger.stateWrites(this.run.path, { ...state, requestId: journal.requestId }));
    this.current.phase = state.phase;
  }

  /** A new claim generation holding `accounts` for `declaration`: the declaration's emails first, then the claim naming them. */
  async writeClaim(declaration: Declaration, accounts: Iterable<string>, adopted: Iterable<string>, generation: string,
    retained: readonly string[] = []): Promise<void> {
    const { run } = this;
    const secret = run.ledger.declarationWrites(run.path, {
      members: declaration.members.map((m) => [m.accountId, m.email] as const),
      message: declaration.message,
    });
    const record: ClaimRecord = {
      v: 3,
      stackId: run.key.stackId,
      logicalId: run.key.logicalId,
      service: run.service.definition.name,
      target: run.target,
      fingerprint: declaration.fingerprint,
      declaration: declaredSettings(declaration),
      accounts: encodeAccounts(accounts),
      adopted: encodeAccounts(adopted),
      retained: retained.length > 0 ? encodeAccounts(retained) : undefined,
      declarationRecord: recordRef(secret),
      updatedAt: new Date().toISOString(),
    };
    await run.ledger.write(secret);
    await run.ledger.write(run.ledger.claimWrites(run.path, record, generation));
    this.current.claim = { generation, declaration: record.declarationRecord };
  }

  /** The journal (and its secret), before any change. */
  async writeJournal(record: JournalRecord, secret: JournalSecret): Promise<JournalRecord> {
    const writes = this.run.ledger.journalWrites(this.run.path, record, secret);
    await this.run.ledger.write(writes);
    const written = { ...record, secret: writes.length > 0 && writes[0].secure ? recordRef(writes.filter((w) => w.secure)) : undefined };
    this.current.journal = { generation: parseRecordName(writes[writes.length - 1].name)!.generation, record: written };
    this.current.phase = 'running';
    this.current.settings = undefined;
    return written;
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
        updatedAt: new Date().toISOString(),
      };
      const generation = newGeneration();
      await run.ledger.write(run.ledger.claimWrites(run.path, record, generation));
      this.current.claim = { generation, declaration: record.declarationRecord };
      return;
    }
    const names = await run.ledger.namesBelow(`${run.path}/claim/${journal.claimGeneration}`);
    const ownWrite = this.current.claim?.generation === journal.claimGeneration ? this.current.claim.declaration : undefined;
    const declaration = written?.declarationRecord ?? ownWrite;
    await run.ledger.delete([...names, ...(declaration ? recordNames(declaration) : [])]);
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
    await run.ledger.delete(await run.ledger.namesBelow(run.path));
    this.current.claim = undefined;
    this.current.journal = undefined;
    if (liveOthers(run).length === 0) {
      await run.ledger.deleteTargetRecords();
    }
  }

  /**
   * The cleanup after every run: keeps the newest claim generation, the one before it while a
   * deployment journal may still be played back, the declarations they name, and the newest
   * journal with its secret and state; deletes every other generation of the resource.
   */
  async cleanUp(): Promise<void> {
    const { run, current } = this;
    const phase = current.phase;
    const keep = new Set<string>();
    const keepRecord = (ref: RecordRef | undefined) => ref && recordNames(ref).forEach((name) => keep.add(name));
    const journal = current.journal?.record;
    const generations = new Set<string>([current.claim?.generation, current.journal?.generation, journal?.secret?.generation,
      current.settings?.generation].filter((g): g is string => g !== undefined));
    keepRecord(current.claim?.declaration);
    // The claim before the run stays while its journal may be played back (a deployment's) or
    // taken over (any unfinished run's: the next run starts from what that one held before).
    const unfinished = phase === 'running' || phase === 'failed' || phase === 'undoing';
    if (journal && journal.previousClaim && (unfinished || (journal.kind !== 'Sync' && phase !== 'undone'))) {
      generations.add(journal.previousClaim);
      keepRecord(run.own?.generations.get(journal.previousClaim)?.declarationRecord);
    }
    const names = await run.ledger.namesBelow(run.path);
    const newestState = names.map(parseRecordName).filter((p) => p?.kind === 'journal-state').map((p) => p!.generation).sort().pop();
    const stale = names.filter((name) => {
      const parsed = parseRecordName(name);
      if (!parsed || keep.has(name)) return false;
      if (parsed.kind === 'journal-state') return parsed.generation !== newestState;
      if (parsed.kind === 'declaration') return true;
      return !generations.has(parsed.generation);
    });
    await run.ledger.delete(stale);
  }
}
