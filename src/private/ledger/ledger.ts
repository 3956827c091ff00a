/**
 * The ownership ledger of one target (a detector, a behavior graph, a hub): every member
 * resource's claim under `/cdk-security-members/<service>/<target id>/<stack>/<logical ID>/`,
 * the target's lock and its membership census. Members belong to the target; an account leaves
 * it only when no claim holds it any more.
 *
 * A claim is three records: `claim` (String: the deployed declaration without emails, the
 * accounts it resolved to and which of them it adopted), `declaration` (SecureString: the
 * static members' emails and the invitation message) and `inflight` (String: what the
 * deployment in progress is changing, kept until the next run so a rollback can undo it
 * exactly), plus `inflight-secret` (SecureString) when that needs emails.
 */
import { createHash } from 'crypto';
import { decodeAccounts, encodeAccounts } from './codec';
import { latestRecord, ParameterReader, ParameterWrite, recordWrites, StoredRecord } from './store';
import type { ParameterStore } from './writer';

export const LEDGER_ROOT = '/cdk-security-members';

/** Which resource a claim belongs to. */
export interface ClaimKey {
  readonly stackId: string;
  readonly logicalId: string;
}

/** The deployed declaration, without emails. */
export interface DeclaredSettings {
  readonly organizationalUnits: readonly string[];
  readonly excludeAccounts: readonly string[];
  readonly invite: boolean;
  readonly memberRemoval: string;
  readonly failOnUnprocessed: boolean;
  readonly disableEmailNotification: boolean;
  readonly removalPolicy: string;
  readonly maxRemovals?: number;
}

export interface ClaimRecord {
  readonly v: 1;
  readonly stackId: string;
  readonly logicalId: string;
  readonly service: string;
  readonly target: string;
  /** Of the resource properties deployed. */
  readonly fingerprint: string;
  readonly declaration: DeclaredSettings;
  /** Account codec: the accounts this claim holds (the declaration resolved). */
  readonly accounts: string;
  /** Account codec: those declared through organizational units. */
  readonly fromOrganizations: string;
  /** Account codec: those that were members already when this claim took them (the rest it created). */
  readonly adopted: string;
  /** The SecureString declaration record that goes with this claim record. */
  readonly declarationRecord?: RecordRef;
  readonly updatedAt: string;
}

/** Where a record's parameters are: `<base>/<generation>/0 … <parts - 1>`. */
export interface RecordRef {
  readonly base: string;
  readonly generation: string;
  readonly parts: number;
}

/** The parameter names of a record. */
export function recordNames(ref: RecordRef): string[] {
  return Array.from({ length: ref.parts }, (_, i) => `${ref.base}/${ref.generation}/${i}`);
}

/** The record a set of writes makes (they are one record's parts). */
export function recordRef(writes: readonly ParameterWrite[]): RecordRef | undefined {
  const match = writes.length > 0 ? /^(.*)\/(g[0-9a-z]+)\/\d+$/.exec(writes[0].name) : null;
  return match ? { base: match[1], generation: match[2], parts: writes.length } : undefined;
}

export interface DeclarationRecord {
  /** Static members: account ID and email. */
  readonly members: readonly (readonly [string, string])[];
  readonly message?: string;
}

export type InFlightPhase = 'running' | 'done' | 'failed' | 'undoing';

/**
 * How the accounts a run changes stood before it, compactly: the accounts it may change are
 * those it adds to the claim, those it touches otherwise (`touched`), and those it releases that
 * were members; of these, `present` gives the ones that were members, by status, and the rest
 * were not members.
 */
export interface PriorStates {
  /** Account codec: accounts the run changes besides those it adds or releases (invitations, new emails). */
  readonly touched: string;
  /** Status → account codec: members before, by status. */
  readonly present: Readonly<Record<string, string>>;
}

export interface InFlightRecord {
  readonly v: 1;
  readonly requestId: string;
  /** The resource: a claim whose first generation is not written yet is found by its in-flight record. */
  readonly stackId?: string;
  readonly logicalId?: string;
  /** `Sync`: a scheduled sync (nothing rolls it back). */
  readonly requestType: 'Create' | 'Update' | 'Sync';
  /** Fingerprints of the properties before and after: a rollback update swaps them. */
  readonly from?: string;
  readonly to: string;
  readonly phase: InFlightPhase;
  readonly startedAt: number;
  /** Account codec: accounts this run makes the claim hold that it did not hold before. */
  readonly adding: string;
  /** Account codec: accounts the claim held before and no longer holds. */
  readonly releasing: string;
  readonly before: PriorStates;
  /** The claim's adopted and organization accounts before the run, to put back on rollback. */
  readonly previousAdopted: string;
  readonly previousFromOrganizations: string;
  /** Counts so far, across invocations. */
  readonly progress: { readonly created: number; readonly invited: number; readonly removed: number };
  /** Set once the run failed: the reason, reported when its undo is done. */
  readonly failure?: string;
  /** The first event after an upgrade: only declaration changes are acted on. */
  readonly onlyChanges?: boolean;
  /** The generation of the claim record this run wrote. */
  readonly claimGeneration?: string;
  /** The in-flight-secret record written with this one. */
  readonly secret?: RecordRef;
  /** SecureString records of the claim that this run's records replace: deleted when it is done. */
  readonly replaces?: readonly RecordRef[];
}

/** A run's progress, written apart from its (larger) in-flight record. */
export interface InFlightState {
  readonly requestId: string;
  readonly phase: InFlightPhase;
  readonly progress: InFlightRecord['progress'];
  readonly failure?: string;
}

export interface InFlightSecret {
  /** Emails the run needs later: organization accounts it adds, recorded emails of accounts it changes. */
  readonly emails: Readonly<Record<string, string>>;
}

export interface Census {
  /** Members of the target when last counted with ListMembers, plus this library's changes since. */
  readonly total: number;
  /** When ListMembers last counted them (epoch ms). */
  readonly listedAt: number;
}

export interface LockRecord {
  readonly owner: string;
  readonly expires: number;
  /** The takeover parameter, when the owner took over an expired lock: released with the lock. */
  readonly takeover?: string;
}

/** A claim's SecureString records. */
export interface ClaimSecrets {
  readonly declaration?: StoredRecord<DeclarationRecord>;
  readonly inflight?: StoredRecord<InFlightSecret>;
  readonly names: string[];
}

/** A claim as read from the ledger. */
export interface LoadedClaim {
  readonly path: string;
  readonly record: ClaimRecord;
  readonly claimGeneration: string;
  readonly inflight?: InFlightRecord;
  /** Every String parameter name of the claim (all generations), for clean-up. */
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

/** The accounts a claim holds: its record's, plus, while a run is unfinished, what it adds and releases. */
export function heldAccounts(claim: LoadedClaim): Set<string> {
  const held = new Set(decodeAccounts(claim.record.accounts));
  const inflight = claim.inflight;
  if (inflight && inflight.phase !== 'done') {
    decodeAccounts(inflight.adding).forEach((id) => held.add(id));
    decodeAccounts(inflight.releasing).forEach((id) => held.add(id));
  }
  return held;
}

/** What keeps removal candidates: the stack's other constructs of the service, and the target's other claims. */
export interface ElsewhereInput {
  readonly candidates: ReadonlySet<string>;
  /** Static members of the stack's other constructs of this service. */
  readonly siblingAccounts: readonly string[];
  /** Their organizational units, resolved only when there are candidates. */
  readonly siblingUnits: readonly string[];
  readonly resolveUnits: (units: readonly string[]) => Promise<{ readonly accounts: ReadonlyMap<string, string> }>;
  /** The target's other claims. */
  readonly others: readonly LoadedClaim[];
  /** The own stack: its claims always count. */
  readonly stackId: string;
  /** Whether a stack no longer exists (its claims never block a removal). */
  readonly stackGone: (stackId: string) => Promise<boolean>;
}

/**
 * The candidates some other declaration still holds (never removed), and the blocking claims of
 * stacks that no longer exist (which hold nothing). The one rule the handler and `plan` share.
 */
export async function accountsHeldElsewhere(input: ElsewhereInput): Promise<{ held: Set<string>; gone: LoadedClaim[] }> {
  const { candidates } = input;
  const held = new Set(input.siblingAccounts.filter((id) => candidates.has(id)));
  if (candidates.size > 0 && input.siblingUnits.length > 0) {
    // Accounts below another construct's OUs stay (its exclusions aside: this errs on keeping).
    const siblings = await input.resolveUnits(input.siblingUnits);
    [...candidates].filter((id) => siblings.accounts.has(id)).forEach((id) => held.add(id));
  }
  const gone: LoadedClaim[] = [];
  await Promise.all(input.others.map(async (other) => {
    const otherHeld = heldAccounts(other);
    const blocking = [...candidates].filter((id) => otherHeld.has(id));
    if (blocking.length === 0) {
      return;
    }
    if (other.record.stackId !== input.stackId && await input.stackGone(other.record.stackId)) {
      gone.push(other);
      return;
    }
    blocking.forEach((id) => held.add(id));
  }));
  return { held, gone };
}

/** A target's claims as stored, read-only: what a plan needs, and the base of {@link TargetLedger}. */
export class ClaimReader {
  readonly prefix: string;

  constructor(private readonly reader: ParameterReader, iamPrefix: string, targetId: string) {
    this.prefix = `${LEDGER_ROOT}/${pathSegment(iamPrefix)}/${pathSegment(targetId)}`;
  }

  claimPath(key: ClaimKey): string {
    return this.claimPathOf(stackNameOf(key.stackId), key.logicalId);
  }

  /** Where the claim of `logicalId` in the stack named `stackName` is (claims are named by stack name). */
  claimPathOf(stackName: string, logicalId: string): string {
    return `${this.prefix}/${pathSegment(stackName)}/${pathSegment(logicalId)}`;
  }

  protected get lockName(): string {
    return `${this.prefix}/lock`;
  }

  protected get censusName(): string {
    return `${this.prefix}/census`;
  }

  /** Every claim of the target (String parameters only: no emails are read), and its census. */
  async load(): Promise<{ claims: LoadedClaim[]; census?: Census }> {
    const parameters = await this.reader.list(this.prefix, ['String']);
    const bases = new Map<string, string[]>();
    for (const name of parameters.keys()) {
      const match = /^(.*)\/(claim|inflight|inflight-state)\/g[0-9a-z]+\/\d+$/.exec(name);
      if (match) bases.set(match[1], [...(bases.get(match[1]) ?? []), name]);
    }
    const claims: LoadedClaim[] = [];
    for (const [path, names] of bases) {
      const record = latestRecord<ClaimRecord>(parameters, `${path}/claim`);
      const inflight = withState(parameters, path);
      if (record) {
        claims.push({ path, record: record.value, claimGeneration: record.generation, inflight, names });
      } else if (inflight?.stackId && inflight.logicalId) {
        // A run whose claim is not written yet (or never was: it stopped): it holds what it adds and releases.
        claims.push({ path, record: claimOfRun(inflight), claimGeneration: '', inflight, names });
      }
    }
    const censusText = parameters.get(this.censusName);
    let census: Census | undefined;
    try {
      census = censusText ? JSON.parse(censusText) as Census : undefined;
    } catch {
      census = undefined;
    }
    return { claims, census };
  }

  /**
   * A claim's SecureString records: its declaration and the secret record of the run `inflight`
   * names (exactly that one: an older run's secrets describe older states).
   */
  async loadSecrets(path: string, inflight?: RecordRef): Promise<ClaimSecrets> {
    const parameters = await this.reader.list(path, ['SecureString']);
    let secret: StoredRecord<InFlightSecret> | undefined;
    if (inflight) {
      const own = new Map(recordNames(inflight).flatMap((name) => (parameters.has(name) ? [[name, parameters.get(name)!] as const] : [])));
      secret = latestRecord<InFlightSecret>(own, `${inflight.base}`);
    }
    return {
      declaration: latestRecord<DeclarationRecord>(parameters, `${path}/declaration`),
      inflight: secret,
      names: [...parameters.keys()],
    };
  }

  /** Every parameter name of one claim, both types (values are not needed: nothing is decrypted). */
  async claimNames(path: string): Promise<string[]> {
    return [...(await this.reader.list(path, undefined, false)).keys()];
  }

}

/** A target's claims, census and lock: the handler's reads and writes of the ownership ledger. */
export class TargetLedger extends ClaimReader {
  /** The lock as this instance last took it. */
  private held?: { readonly owner: string; readonly takeover?: string };

  constructor(private readonly store: ParameterStore, iamPrefix: string, targetId: string) {
    super(store, iamPrefix, targetId);
  }

  claimWrites(path: string, record: ClaimRecord, generation?: string): ParameterWrite[] {
    return recordWrites(`${path}/claim`, record, false, generation);
  }

  declarationWrites(path: string, record: DeclarationRecord): ParameterWrite[] {
    return recordWrites(`${path}/declaration`, record, true);
  }

  /** The in-flight record; with emails, its secret record first (the record names it). */
  inflightWrites(path: string, record: InFlightRecord, secret?: InFlightSecret): ParameterWrite[] {
    const secretWrites = secret && Object.keys(secret.emails).length > 0 ? recordWrites(`${path}/inflight-secret`, secret, true) : [];
    const named = secretWrites.length > 0 ? { ...record, secret: recordRef(secretWrites) } : record;
    return [...secretWrites, ...recordWrites(`${path}/inflight`, named, false)];
  }

  stateWrites(path: string, state: InFlightState): ParameterWrite[] {
    return recordWrites(`${path}/inflight-state`, state, false);
  }

  async write(writes: readonly ParameterWrite[]): Promise<void> {
    await this.store.put(writes);
  }

  /**
   * The parameters a claim's newer generations replaced: per record (claim, declaration,
   * in-flight), every generation but the newest. Called once a run's own writes are done, so
   * the newest generations are that run's.
   */
  staleNames(names: readonly string[]): string[] {
    const parse = (name: string) => {
      const match = /^(.*)\/(g[0-9a-z]+)\/\d+$/.exec(name);
      return match ? { base: match[1], generation: match[2] } : undefined;
    };
    const newest = new Map<string, string>();
    for (const name of names) {
      const part = parse(name);
      if (part && (newest.get(part.base) ?? '') < part.generation) newest.set(part.base, part.generation);
    }
    return names.filter((name) => {
      const part = parse(name);
      return part !== undefined && newest.get(part.base) !== part.generation;
    });
  }

  /** Deletes parameters that a newer generation replaced (or a whole claim). */
  async delete(names: readonly string[]): Promise<void> {
    if (names.length > 0) {
      await this.store.delete(names);
    }
  }

  /** The census goes with the target's last claim: nothing is left under the target. */
  async deleteCensus(): Promise<void> {
    await this.store.delete([this.censusName]);
  }

  async writeCensus(census: Census): Promise<void> {
    await this.store.overwrite(this.censusName, JSON.stringify(census));
  }

  /**
   * Takes the target's lock for `owner` until `ttlMs` from now, or renews it if the owner
   * holds it. A lock past its expiry (its holder died) is taken over by one taker only: each
   * expired lock has one takeover parameter, created without overwrite, and whoever creates it
   * takes the lock. Returns the holder when someone else holds it.
   */
  async lock(owner: string, ttlMs: number): Promise<{ acquired: true } | { acquired: false; holder: string }> {
    const record = (takeover?: string) => {
      this.held = { owner, takeover };
      return JSON.stringify({ owner, expires: Date.now() + ttlMs, takeover } satisfies LockRecord);
    };
    this.held = undefined;
    if (await this.store.create(this.lockName, record())) {
      return { acquired: true };
    }
    this.held = undefined;
    const text = await this.store.get(this.lockName);
    const current = parseLock(text);
    if (current?.owner === owner) {
      await this.store.overwrite(this.lockName, record(current.takeover));
      return { acquired: true };
    }
    this.held = undefined;
    if (text === undefined) {
      // Released between the create and the read: the next call tries again.
      return { acquired: false, holder: 'a run that just finished' };
    }
    if (current && current.expires > Date.now()) {
      return { acquired: false, holder: current.owner };
    }
    const takeover = `${this.prefix}/lock-takeover/${digest(text)}`;
    if (!await this.store.create(takeover, owner)) {
      this.held = undefined;
      return { acquired: false, holder: 'another run taking over an expired lock' };
    }
    // Still the expired lock? (It may have been released and taken afresh meanwhile.)
    if (await this.store.get(this.lockName) !== text) {
      this.held = undefined;
      await this.store.delete([takeover]);
      return { acquired: false, holder: 'a run that took the lock meanwhile' };
    }
    await this.store.overwrite(this.lockName, record(takeover));
    return { acquired: true };
  }

  /** Releases the owner's lock; a lock someone else took over after it expired stays theirs. */
  async unlock(owner: string): Promise<void> {
    // Taken by this instance moments ago (the lock outlives any invocation): no need to read it.
    const current = this.held?.owner === owner ? this.held : parseLock(await this.store.get(this.lockName));
    if (current?.owner === owner) {
      await this.store.delete([this.lockName, ...(current.takeover ? [current.takeover] : [])]);
    }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The claim's in-flight record with its latest state (phase, progress) when that belongs to the same run. */
function withState(parameters: ReadonlyMap<string, string>, path: string): InFlightRecord | undefined {
  const inflight = latestRecord<InFlightRecord>(parameters, `${path}/inflight`)?.value;
  const state = latestRecord<InFlightState>(parameters, `${path}/inflight-state`)?.value;
  if (!inflight || !state || state.requestId !== inflight.requestId) {
    return inflight;
  }
  return { ...inflight, phase: state.phase, progress: state.progress, failure: state.failure ?? inflight.failure };
}

/** The claim a run's in-flight record stands for before the claim's first generation exists: it holds nothing more. */
function claimOfRun(inflight: InFlightRecord): ClaimRecord {
  return {
    v: 1,
    stackId: inflight.stackId!,
    logicalId: inflight.logicalId!,
    service: '',
    target: '',
    fingerprint: '',
    declaration: {
      organizationalUnits: [],
      excludeAccounts: [],
      invite: true,
      memberRemoval: 'DELETE',
      failOnUnprocessed: true,
      disableEmailNotification: false,
      removalPolicy: 'DESTROY',
    },
    accounts: '',
    fromOrganizations: inflight.previousFromOrganizations,
    adopted: inflight.previousAdopted,
    updatedAt: new Date(inflight.startedAt).toISOString(),
  };
}

function parseLock(text: string | undefined): LockRecord | undefined {
  try {
    return text ? JSON.parse(text) as LockRecord : undefined;
  } catch {
    return undefined;
  }
}

export { decodeAccounts, encodeAccounts };
