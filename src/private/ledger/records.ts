/**
 * What the ownership ledger stores for one target, as types. Under
 * `/cdk-security-members/<service>/<target id>/`:
 *
 * - `lock` (and `lock-takeover/…` while an expired lock is taken over): one run at a time.
 * - `census`: the target's member count, to check the quota without listing.
 * - `<stack>/<logical ID>/claim/<generation>/<part>` (String): a resource's claim, the
 *   declaration it deployed (emails aside) and the accounts that declaration holds, with
 *   `declaration/…` (SecureString) beside it for the static members' emails.
 * - `<stack>/<logical ID>/journal/…` (String), `journal-state/…` (String, small, rewritten as
 *   the run goes) and `journal-secret/…` (SecureString): the write-ahead journal of the
 *   resource's latest run, the prior state of every account it may change.
 *
 * Records are written as new generations of parts (see `store.ts`), so a reader always finds the
 * last complete one.
 */

/** Where a record's parameters are: `<base>/<generation>/0 … <parts - 1>`. */
export interface RecordRef {
  readonly base: string;
  readonly generation: string;
  readonly parts: number;
}

/** Which resource a claim belongs to. */
export interface ClaimKey {
  readonly stackId: string;
  readonly logicalId: string;
}

/** The deployed declaration, without emails: what a sync deploys again. */
export interface DeclaredSettings {
  readonly organizationalUnits: readonly string[];
  readonly excludeAccounts: readonly string[];
  readonly invite: boolean;
  readonly memberRemoval: string;
  readonly failOnUnprocessed: boolean;
  readonly disableEmailNotification: boolean;
  readonly removalPolicy: string;
  readonly maxRemovals?: number;
  /** Account codec: static members of the stack's other constructs of the service (known at synth time). */
  readonly siblingAccounts?: string;
  /** Organizational units those constructs declare, each construct's with its exclusions. */
  readonly siblingUnits?: readonly { readonly units: readonly string[]; readonly exclude: readonly string[] }[];
  /** Per-account settings of every declared member (GuardDuty's protection plans). */
  readonly settings?: Readonly<Record<string, string>>;
}

export interface ClaimRecord {
  readonly v: 3;
  readonly stackId: string;
  readonly logicalId: string;
  readonly service: string;
  readonly target: string;
  /** Of the resource properties deployed. */
  readonly fingerprint: string;
  readonly declaration: DeclaredSettings;
  /** Account codec: the accounts this claim holds (the declaration resolved). */
  readonly accounts: string;
  /** Account codec: those that were members already, held by no declaration, when this claim took them. */
  readonly adopted: string;
  /**
   * Account codec: accounts no longer declared here that another declaration's organizational
   * units hold now but no claim records yet. The claim keeps holding them until a claim does, so
   * an account that leaves that OU again before its declaration runs is still removed.
   */
  readonly retained?: string;
  /** The SecureString declaration record (static members' emails, invitation message) of this generation. */
  readonly declarationRecord?: RecordRef;
  /**
   * The generation of the journal written in the same round as this claim generation: the
   * generation counts while that journal is the newest complete one or names it (see
   * `committedClaims` in ledger.ts).
   * Unset on generations written without a journal (an undo's, earlier versions').
   */
  readonly journal?: string;
  readonly updatedAt: string;
}

/** Static members and the invitation message: the part of a declaration that holds emails. */
export interface DeclarationSecret {
  readonly members: readonly (readonly [string, string])[];
  readonly message?: string;
}

export type JournalPhase = 'running' | 'done' | 'failed' | 'undoing' | 'undone';

export type RunKind = 'Create' | 'Update' | 'Sync';

/** The options a run keeps to, from its first invocation to its last. */
export interface RunOptions {
  readonly invite: boolean;
  readonly removal: 'DISASSOCIATE' | 'DELETE';
  readonly failOnUnprocessed: boolean;
  readonly disableEmailNotification: boolean;
  /** The most accounts this run may remove, across its invocations (the removal guard). */
  readonly removalLimit: number;
  /** What the limit was derived from, for the reason when it refuses. */
  readonly previousCount: number;
  readonly maxRemovals?: number;
  /** The run undoes itself when it fails (a create, a replacement): nothing rolls it back. */
  readonly undoOnFailure: boolean;
  /** Per-account settings every declared member must have (GuardDuty's protection plans). */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * The write-ahead journal of one run, written before its first change. Continuations, undo,
 * cancellation and rollback read this and nothing else of the declaration: the organizational
 * units were resolved once, into the claim generation the run wrote.
 */
export interface JournalRecord {
  readonly v: 3;
  readonly requestId: string;
  readonly kind: RunKind;
  readonly stackId: string;
  readonly logicalId: string;
  /** Fingerprints of the properties before and after: the rollback update brings `to` back to `from`. */
  readonly from?: string;
  readonly to: string;
  readonly startedAt: number;
  /**
   * The stack operation the run belongs to (the stack's last update or creation time when it
   * started): journals of one failed deployment are told from older ones by it.
   */
  readonly operation?: string;
  /** The claim generation this run wrote: its accounts are the run's declared accounts. */
  readonly claimGeneration: string;
  /** The claim generation before the run, put back by an undo; undefined: there was no claim. */
  readonly previousClaim?: string;
  /**
   * The claim generation of the unfinished run this one took over: until this run's own claim
   * lands, it holds what that run was changing (see `committedClaims`).
   */
  readonly takenOverClaim?: string;
  /** Account codec: what the claim held before, when that is not `previousClaim`'s accounts (an upgrade, an unfinished run). */
  readonly previousAccounts?: string;
  readonly options: RunOptions;
  /** Account codec: the accounts this run may change; it changes no other. */
  readonly touched: string;
  /** Status → account codec: the touched accounts that were members, by status; the rest were not members. */
  readonly prior: Readonly<Record<string, string>>;
  /** Account codec: touched members that no declaration held at the start (adopted, never removed by an undo). */
  readonly unmanaged: string;
  /** Account codec: accounts another declaration held at the start, among those the declaration dropped. */
  readonly protected: string;
  /** The first event after an upgrade from a version without the ledger: only declaration changes act. */
  readonly onlyChanges?: boolean;
  /**
   * Account codec, set when the administrator is the organization's delegated administrator and
   * the declaration has organizational units: its static members. Every other declared account is
   * an organization account, enabled by CreateMembers with no read-back or invitation.
   */
  readonly staticMembers?: string;
  /** The SecureString part: emails. */
  readonly secret?: RecordRef;
  /**
   * The declaration record (SecureString) of the claim generation the run wrote: the invitation
   * message, and the emails of `createDeclared`, are read from it rather than written twice.
   */
  readonly declaration?: RecordRef;
  /** Account codec: the accounts to create whose email is the one `declaration` records (the rest are in the secret). */
  readonly createDeclared?: string;
  /** The declaration record of the claim before the run: the prior emails of `priorDeclared` are read from it. */
  readonly priorDeclaration?: RecordRef;
  /** Account codec: the touched members whose recorded email is the one `priorDeclaration` holds (the rest are in the secret). */
  readonly priorDeclared?: string;
}

/** The emails a run needs, in SecureString. */
export interface JournalSecret {
  /** Declared emails of the touched accounts the run creates or recreates, and of touched members recorded without one. */
  readonly create: Readonly<Record<string, string>>;
  /** Recorded emails of the touched accounts that were members. */
  readonly prior: Readonly<Record<string, string>>;
  readonly message?: string;
}

export interface RunProgress {
  readonly created: number;
  readonly invited: number;
  readonly removed: number;
  /** Accounts whose settings the run changed (GuardDuty: protection plans). */
  readonly settingsChanged?: number;
  /** Declared members that cannot take settings yet, at the run's last look. */
  readonly settingsPending?: number;
  /**
   * Accounts (encoded) whose asynchronous removal the run started and had not seen through:
   * awaited before anything is planned again (reads show them associated meanwhile).
   */
  readonly underWay?: string;
}

/**
 * How the accounts whose settings a run changed stood before (written before the change, added
 * to as the run goes): groups of accounts with the same prior values.
 */
export interface SettingsJournal {
  readonly requestId: string;
  readonly groups: readonly { readonly values: Readonly<Record<string, string>>; readonly accounts: string }[];
}

/** A run's phase and progress, rewritten apart from its (larger) journal. */
export interface JournalState {
  readonly requestId: string;
  readonly phase: JournalPhase;
  readonly progress: RunProgress;
  /** The reason, once the run failed. */
  readonly failure?: string;
  /** CloudFormation cancelled the run (another resource failed). */
  readonly cancelled?: boolean;
  /** The failure names accounts: the full list is in the run's log. */
  readonly detailInLog?: boolean;
}

export interface Census {
  /** Members of the target when last counted with ListMembers, plus this library's changes since. */
  readonly total: number;
  /** When ListMembers last counted them (epoch ms). */
  readonly listedAt: number;
}
