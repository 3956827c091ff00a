/**
 * The ownership ledger of one target (a detector, a behavior graph, a hub): the claims of every
 * member resource, their runs' journals, the target's census and its lock (records.ts says what
 * each holds). Members belong to the target; an account leaves it only when no claim holds it.
 */
import { decodeAccounts, encodeAccounts } from './codec';
import { TargetLock } from './lock';
import { ClaimKey, ClaimRecord, Census, DeclarationSecret, JournalRecord, JournalSecret, JournalState, RecordRef, SettingsJournal } from './records';
import { latestRecord, ParameterReader, ParameterWrite, recordWrites, StoredRecord } from './store';
import type { ParameterStore } from './writer';

export const LEDGER_ROOT = '/cdk-security-members';

/** The records of a claim, by kind: each kind is `<claim path>/<kind>/<generation>/<part>`. */
export const RECORD_KINDS = ['claim', 'declaration', 'journal', 'journal-state', 'journal-secret', 'journal-settings'] as const;
export type RecordKind = typeof RECORD_KINDS[number];

/** The parameter names of a record. */
export function recordNames(ref: RecordRef): string[] {
  return Array.from({ length: ref.parts }, (_, i) => `${ref.base}/${ref.generation}/${i}`);
}

/** The record a set of writes makes (they are one record's parts). */
export function recordRef(writes: readonly ParameterWrite[]): RecordRef | undefined {
  const match = writes.length > 0 ? /^(.*)\/(g[0-9a-z]+)\/\d+$/.exec(writes[0].name) : null;
  return match ? { base: match[1], generation: match[2], parts: writes.length } : undefined;
}

/** A parameter name's claim path, record kind and generation, when it is part of a claim's record. */
export function parseRecordName(name: string): { path: string; kind: RecordKind; generation: string } | undefined {
  const match = /^(.*)\/(claim|declaration|journal|journal-state|journal-secret|journal-settings)\/(g[0-9a-z]+)\/\d+$/.exec(name);
  return match ? { path: match[1], kind: match[2] as RecordKind, generation: match[3] } : undefined;
}

/** A run's journal as read: its record and its latest state. */
export interface LoadedJournal {
  readonly record: JournalRecord;
  readonly generation: string;
  readonly state: JournalState;
  /** How the accounts whose settings the run changed stood before, and that record's generation. */
  readonly settings?: { readonly prior: ReadonlyMap<string, Readonly<Record<string, string>>>; readonly generation: string };
}

/** A resource's records as read from the ledger (String parameters only: no email is read). */
export interface LoadedClaim {
  readonly path: string;
  readonly key: ClaimKey;
  /** The newest claim generation; undefined while a run's first claim is not written (or after an undo removed it). */
  readonly record?: ClaimRecord;
  readonly generation?: string;
  /** Every complete claim generation, by generation (a journal names the ones it needs). */
  readonly generations: ReadonlyMap<string, ClaimRecord>;
  readonly journal?: LoadedJournal;
  /** Every String parameter name of the resource (all generations). */
  readonly names: readonly string[];
}

export function stackNameOf(stackId: string): string {
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  return stackId.split(':')[5]?.split('/')[1] ?? stackId;
}

/** Parameter names allow letters, digits and `._-`: anything else is hex-escaped. */
export function pathSegment(text: string): string {
  return text.replace(/[^a-zA-Z0-9_.-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

/** The accounts a claim generation holds: its declared ones and those it retains for another declaration. */
export function recordHolds(record: ClaimRecord | undefined): string[] {
  const retained = decodeAccounts(record?.retained);
  const declared = decodeAccounts(record?.accounts);
  return retained.length === 0 ? declared : [...new Set([...declared, ...retained])];
}

/** The accounts a claim holds: its newest generation's (see {@link recordHolds}). */
export function claimAccounts(claim: LoadedClaim | undefined): string[] {
  return recordHolds(claim?.record);
}

/** Every complete generation of one record kind of one claim path, among `parameters`. */
function generationsOf<T>(parameters: ReadonlyMap<string, string>, base: string): Map<string, T> {
  const found = new Map<string, T>();
  const names = new Map<string, Map<string, string>>();
  for (const [name, value] of parameters) {
    if (!name.startsWith(`${base}/`)) continue;
    const generation = /^(g[0-9a-z]+)\/\d+$/.exec(name.slice(base.length + 1))?.[1];
    if (!generation) continue;
    const parts = names.get(generation) ?? new Map<string, string>();
    parts.set(name, value);
    names.set(generation, parts);
  }
  for (const [generation, parts] of names) {
    const record = latestRecord<T>(parts, base);
    if (record?.generation === generation) found.set(generation, record.value);
  }
  return found;
}

/** A target's claims as stored, read-only: what `plan` needs, and the base of {@link TargetLedger}. */
export class ClaimReader {
  readonly prefix: string;
  /** SecureString records read so far, by `<base>/<generation>`. */
  private readonly records = new Map<string, Promise<unknown>>();

  constructor(protected readonly reader: ParameterReader, iamPrefix: string, targetId: string) {
    this.prefix = `${LEDGER_ROOT}/${pathSegment(iamPrefix)}/${pathSegment(targetId)}`;
  }

  claimPath(key: ClaimKey): string {
    return this.claimPathOf(stackNameOf(key.stackId), key.logicalId);
  }

  /** Where the claim of `logicalId` in the stack named `stackName` is (claims are named by stack name). */
  claimPathOf(stackName: string, logicalId: string): string {
    return `${this.prefix}/${pathSegment(stackName)}/${pathSegment(logicalId)}`;
  }

  protected get censusName(): string {
    return `${this.prefix}/census`;
  }

  /** Every resource's records on the target (String parameters only), and the census. */
  async load(): Promise<{ claims: LoadedClaim[]; census?: Census }> {
    const parameters = await this.reader.list(this.prefix, ['String']);
    const paths = new Map<string, string[]>();
    for (const name of parameters.keys()) {
      const parsed = parseRecordName(name);
      if (parsed) paths.set(parsed.path, [...(paths.get(parsed.path) ?? []), name]);
    }
    const claims: LoadedClaim[] = [];
    for (const [path, names] of paths) {
      const claim = loadClaim(parameters, path, names);
      if (claim) claims.push(claim);
    }
    return { claims, census: parseJson<Census>(parameters.get(this.censusName)) };
  }

  /** A claim's static members and message (SecureString), from the declaration record `ref` names. */
  async loadDeclaration(ref: RecordRef | undefined): Promise<DeclarationSecret | undefined> {
    return ref ? this.loadRecord<DeclarationSecret>(ref) : undefined;
  }

  /**
   * A journal's emails (SecureString), exactly the records it names: its secret, the declaration
   * record that holds the invitation message and the declared emails of `createDeclared`, and the
   * one before the run that holds the recorded emails of `priorDeclared`.
   */
  async loadJournalSecret(journal: JournalRecord): Promise<JournalSecret> {
    const [stored, declared, before] = await Promise.all([
      journal.secret ? this.loadRecord<JournalSecret>(journal.secret) : undefined,
      this.loadDeclaration(journal.declaration),
      journal.priorDeclared ? this.loadDeclaration(journal.priorDeclaration) : undefined,
    ]);
    const secret = stored ?? { create: {}, prior: {} };
    if (!journal.declaration) return secret;
    return {
      create: { ...emailsOf(declared, journal.createDeclared), ...secret.create },
      prior: { ...emailsOf(before, journal.priorDeclared), ...secret.prior },
      message: declared?.message,
    };
  }

  /**
   * A SecureString record, read once per reader: a generation never changes once complete, and a
   * run reads its claim's declaration for a sync, its journal and the emails of unrecorded members.
   */
  private loadRecord<T>(ref: RecordRef): Promise<T | undefined> {
    const key = `${ref.base}/${ref.generation}`;
    let loading = this.records.get(key);
    if (!loading) {
      loading = this.reader.list(key, ['SecureString']).then((parameters) => latestRecord<T>(parameters, ref.base)?.value);
      this.records.set(key, loading);
      // Not kept when missing or failed: a later read tries again.
      loading.then((value) => value === undefined && this.records.delete(key), () => this.records.delete(key));
    }
    return loading as Promise<T | undefined>;
  }

  /** Every parameter name below `path`, both types (nothing is decrypted). */
  async namesBelow(path: string): Promise<string[]> {
    return [...(await this.reader.list(path, undefined, false)).keys()];
  }
}

/** The emails a declaration record holds for `accounts` (encoded). */
function emailsOf(record: DeclarationSecret | undefined, accounts: string | undefined): Record<string, string> {
  const emails = new Map(record?.members ?? []);
  const found: Record<string, string> = {};
  for (const id of decodeAccounts(accounts)) {
    const email = emails.get(id);
    if (email !== undefined) found[id] = email;
  }
  return found;
}

function parseJson<T>(text: string | undefined): T | undefined {
  try {
    return text ? JSON.parse(text) as T : undefined;
  } catch {
    return undefined;
  }
}

/** One resource's records among the target's String parameters; undefined when they name no resource. */
function loadClaim(parameters: ReadonlyMap<string, string>, path: string, names: string[]): LoadedClaim | undefined {
  const journal = latestRecord<JournalRecord>(parameters, `${path}/journal`);
  const generations = committedClaims(generationsOf<ClaimRecord>(parameters, `${path}/claim`), journal);
  const newest = [...generations.keys()].sort().pop();
  const record = newest ? generations.get(newest) : undefined;
  const key = record ?? journal?.value;
  if (!key || (record?.v ?? journal?.value.v) !== 3) {
    // Records of an unreleased, incompatible layout: not a claim this handler can read.
    return undefined;
  }
  return {
    path,
    key: { stackId: key.stackId, logicalId: key.logicalId },
    record,
    generation: newest,
    generations,
    journal: journal ? withState(parameters, path, journal) : undefined,
    names,
  };
}

/**
 * The claim generations that count. A run writes its journal and its claim in one round; a
 * generation written with a journal counts only while that journal is the newest complete one,
 * or while the newest journal names it (the claim before its run, or the one of the unfinished
 * run it took over). One from a round cut short (its journal never landed) is as if it had not
 * been written, also once a later journal lands. Generations written without a journal (an
 * undo's, earlier versions') count.
 */
export function committedClaims(generations: ReadonlyMap<string, ClaimRecord>,
  newestJournal: StoredRecord<JournalRecord> | undefined): Map<string, ClaimRecord> {
  const journal = newestJournal?.value;
  const named = new Set([journal?.claimGeneration, journal?.previousClaim, journal?.takenOverClaim]);
  return new Map([...generations].filter(([generation, record]) => record.journal === undefined
    || (record.journal === newestJournal?.generation || named.has(generation))));
}

/** A journal with its latest state when that belongs to the same run (else: as the journal was written). */
function withState(parameters: ReadonlyMap<string, string>, path: string, journal: StoredRecord<JournalRecord>): LoadedJournal {
  const states = generationsOf<JournalState>(parameters, `${path}/journal-state`);
  const newest = [...states.keys()].sort().reverse().find((generation) => states.get(generation)!.requestId === journal.value.requestId);
  const fresh: JournalState = { requestId: journal.value.requestId, phase: 'running', progress: { created: 0, invited: 0, removed: 0 } };
  const settings = latestRecord<SettingsJournal>(parameters, `${path}/journal-settings`);
  const own = settings?.value.requestId === journal.value.requestId ? settings : undefined;
  return {
    record: journal.value,
    generation: journal.generation,
    state: newest ? states.get(newest)! : fresh,
    settings: own && { prior: settingsPrior(own.value), generation: own.generation },
  };
}

/** The prior settings a settings journal records, by account. */
export function settingsPrior(record: SettingsJournal): Map<string, Readonly<Record<string, string>>> {
  const prior = new Map<string, Readonly<Record<string, string>>>();
  for (const group of record.groups) {
    for (const id of decodeAccounts(group.accounts)) prior.set(id, group.values);
  }
  return prior;
}

/** A journal's parameters: the secret's, then the journal's (which names the secret). */
export interface JournalWrites {
  readonly secret: ParameterWrite[];
  readonly journal: ParameterWrite[];
  /** The journal as written. */
  readonly record: JournalRecord;
}

/** A target's ledger for the handler: reads, writes, census and lock. */
export class TargetLedger extends ClaimReader {
  readonly lock: TargetLock;

  constructor(private readonly store: ParameterStore, iamPrefix: string, targetId: string) {
    super(store, iamPrefix, targetId);
    this.lock = new TargetLock(store, this.prefix);
  }

  claimWrites(path: string, record: ClaimRecord, generation?: string): ParameterWrite[] {
    return recordWrites(`${path}/claim`, record, false, generation);
  }

  declarationWrites(path: string, record: DeclarationSecret): ParameterWrite[] {
    return recordWrites(`${path}/declaration`, record, true);
  }

  /**
   * The journal's writes: its secret record (when it holds any email or message) and the journal
   * of generation `generation` naming it. The secret must be complete before the journal is written.
   */
  journalWrites(path: string, record: JournalRecord, secret: JournalSecret, generation: string): JournalWrites {
    const hasSecret = Object.keys(secret.create).length + Object.keys(secret.prior).length > 0 || secret.message !== undefined;
    const secretWrites = hasSecret ? recordWrites(`${path}/journal-secret`, secret, true) : [];
    const named: JournalRecord = { ...record, secret: secretWrites.length > 0 ? recordRef(secretWrites) : undefined };
    return { secret: secretWrites, journal: recordWrites(`${path}/journal`, named, false, generation), record: named };
  }

  stateWrites(path: string, state: JournalState): ParameterWrite[] {
    return recordWrites(`${path}/journal-state`, state, false);
  }

  /** How the accounts whose settings a run changes stood before, grouped by identical values. */
  settingsWrites(path: string, requestId: string, prior: ReadonlyMap<string, Readonly<Record<string, string>>>): ParameterWrite[] {
    const groups = new Map<string, string[]>();
    for (const [id, values] of prior) {
      const key = JSON.stringify(Object.entries(values).sort());
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    const record: SettingsJournal = {
      requestId,
      groups: [...groups].map(([key, ids]) => ({ values: Object.fromEntries(JSON.parse(key)), accounts: encodeAccounts(ids) })),
    };
    return recordWrites(`${path}/journal-settings`, record, false);
  }

  async write(writes: readonly ParameterWrite[]): Promise<void> {
    await this.store.put(writes);
  }

  async delete(names: readonly string[]): Promise<void> {
    if (names.length > 0) {
      await this.store.delete(names);
    }
  }

  /** The census, the takeover slots and whatever else is left under the target (with its last claim). */
  async deleteTargetRecords(): Promise<void> {
    const names = (await this.namesBelow(this.prefix)).filter((name) => name !== this.lock.name);
    await this.delete(names);
  }

  async writeCensus(census: Census): Promise<void> {
    await this.store.overwrite(this.censusName, JSON.stringify(census));
  }
}

export { decodeAccounts, encodeAccounts };
