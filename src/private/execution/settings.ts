/**
 * Per-account settings (GuardDuty's protection plans), the engine's second kind of work beside
 * membership: read the declared members' settings, change only those that differ (accounts
 * that need the same change share calls, at most 50 a call), journal how the changed ones stood
 * before the first write, read every changed account back, and sort the rest into pending
 * (not associated yet: invited accounts until they accept) and failed (with the service's
 * reason). Service-neutral and SDK-free.
 */
import { AccountSettings, chunk, DEFAULT_CONCURRENCY, describeError, SettingsApi, SettingsReads, UnprocessedAccount } from './api';
import { forEachBounded } from '../bounded';
import { Logger } from '../logger';
import { AccountProblem, LiveMember, MemberStatusModel } from '../planner';

export interface SettingsInput {
  readonly api: SettingsApi;
  readonly statuses: MemberStatusModel;
  /** The declared settings every member must have. */
  readonly declared: AccountSettings;
  /** The declared members. */
  readonly accounts: readonly string[];
  /** Their state as last read: settable ones are read; invited ones not accepted yet are pending without a call. */
  readonly live: ReadonlyMap<string, LiveMember>;
  /** Accounts the run created (their state unknown until read): read as settable. */
  readonly created: ReadonlySet<string>;
  readonly log: Logger;
  /** Epoch ms after which nothing new starts; "not yet" accounts are tried again until then (at most `patienceMs`). */
  readonly deadline?: number;
  readonly patienceMs?: number;
  /** Called before the first change, with how each account to change stood: the write-ahead journal. */
  readonly journal: (prior: ReadonlyMap<string, AccountSettings>) => Promise<void>;
}

export interface SettingsOutcome {
  /** Accounts whose settings were changed and read back as declared. */
  readonly changed: number;
  /** Declared members that cannot take settings yet: applied by the next deployment or sync. */
  readonly pending: string[];
  readonly problems: AccountProblem[];
  /** False when the deadline left work for the next invocation. */
  readonly complete: boolean;
}

/** How long "not an associated member yet" answers are tried again before they count as pending. */
export const SETTINGS_PATIENCE_MS = 60_000;

/** The keys where `current` differs from `declared`, with the declared values. */
export function settingsChange(declared: AccountSettings, current: AccountSettings | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(declared).filter(([key, value]) => current?.[key] !== value));
}

/**
 * One call on `batch`; a call refused as a whole for a reason that may concern some of its
 * accounts only is split in halves until each refusal has its account (at most 2n − 1 calls
 * when every account is refused, about 2 log₂ n when one is). Other errors refuse every account.
 */
async function perAccount(api: SettingsReads, batch: readonly string[], call: (accounts: string[]) => Promise<UnprocessedAccount[]>)
  : Promise<UnprocessedAccount[]> {
  try {
    return await call([...batch]);
  } catch (err) {
    const reason = describeError(err);
    if (batch.length === 1 || !api.refusedPerAccount(reason)) return batch.map((accountId) => ({ accountId, reason }));
    const half = Math.ceil(batch.length / 2);
    const first = await perAccount(api, batch.slice(0, half), call);
    return [...first, ...await perAccount(api, batch.slice(half), call)];
  }
}

/** The settings of one batch of accounts (at most 50), every refusal attributed to its account (the run's reads and `plan`'s). */
export async function readAttributed(api: SettingsReads, batch: readonly string[])
  : Promise<{ settings: Map<string, AccountSettings>; unprocessed: UnprocessedAccount[] }> {
  const settings = new Map<string, AccountSettings>();
  const unprocessed = await perAccount(api, batch, async (accounts) => {
    const out = await api.read(accounts);
    out.settings.forEach((value, id) => settings.set(id, value));
    return out.unprocessed;
  });
  return { settings, unprocessed };
}

class SettingsRun {
  readonly problems: AccountProblem[] = [];
  readonly pending = new Set<string>();
  changed = 0;
  deferred = false;

  constructor(private readonly input: SettingsInput) {}

  private get api() {
    return this.input.api;
  }

  private outOfTime(): boolean {
    return this.input.deadline !== undefined && Date.now() > this.input.deadline;
  }

  private failed(operation: string, accountId: string, reason: string, keys?: readonly string[]) {
    const what = keys && keys.length > 0 ? `${this.api.noun}${keys.length === 1 ? '' : 's'} ${keys.join(', ')}: ` : '';
    this.problems.push({ operation, accountId, reason: `${what}${reason}` });
  }

  /** Reads `accountIds`; answers their settings, and those not associated yet. */
  async read(accountIds: readonly string[]): Promise<{ settings: Map<string, AccountSettings>; notYet: string[] }> {
    const settings = new Map<string, AccountSettings>();
    const notYet: string[] = [];
    await forEachBounded(chunk(accountIds, this.api.accountsPerCall), DEFAULT_CONCURRENCY, async (batch) => {
      const out = await readAttributed(this.api, batch);
      out.settings.forEach((value, id) => settings.set(id, value));
      const unprocessed = out.unprocessed;
      for (const u of unprocessed) {
        if (this.api.notYet(u.reason)) notYet.push(u.accountId);
        else this.failed(this.api.readOperation, u.accountId, u.reason);
      }
    });
    return { settings, notYet };
  }

  /** Writes each group of identical changes; answers the accounts not associated yet. */
  async write(changes: ReadonlyMap<string, Record<string, string>>): Promise<{ written: string[]; notYet: string[] }> {
    const groups = new Map<string, string[]>();
    for (const [id, change] of changes) {
      const key = JSON.stringify(Object.entries(change).sort());
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    const batches = [...groups].flatMap(([key, ids]) => chunk(ids, this.api.accountsPerCall)
      .map((batch) => ({ change: Object.fromEntries(JSON.parse(key)), batch })));
    const written: string[] = [];
    const notYet: string[] = [];
    await forEachBounded(batches, DEFAULT_CONCURRENCY, async ({ change, batch }) => {
      if (this.outOfTime() && written.length > 0) {
        this.deferred = true;
        return;
      }
      const unprocessed = await perAccount(this.api, batch, (accounts) => this.api.write(accounts, change, this.input.declared));
      const refused = new Map(unprocessed.map((u) => [u.accountId, u.reason]));
      for (const id of batch) {
        const reason = refused.get(id);
        if (reason === undefined) written.push(id);
        else if (this.api.notYet(reason)) notYet.push(id);
        else this.failed(this.api.writeOperation, id, reason, Object.keys(change));
      }
    });
    return { written, notYet };
  }

  /** Reads the written accounts back: each declared setting must now hold. */
  async verify(written: readonly string[]): Promise<void> {
    const { settings, notYet } = await this.read(written);
    notYet.forEach((id) => this.pending.add(id));
    for (const id of written) {
      const left = settingsChange(this.input.declared, settings.get(id));
      if (!settings.has(id)) continue;
      if (Object.keys(left).length === 0) {
        this.changed++;
      } else {
        this.failed(this.api.writeOperation, id, `still not as declared after ${this.api.writeOperation} (${Object.entries(left)
          .map(([k]) => `${k} is ${settings.get(id)?.[k] ?? 'absent'}`).join(', ')})`, Object.keys(left));
      }
    }
  }
}

/** Who is read: members that can take settings now, or were created by the run; the rest are pending. */
function readable(input: SettingsInput): { toRead: string[]; pending: string[] } {
  const toRead: string[] = [];
  const pending: string[] = [];
  for (const id of input.accounts) {
    const member = input.live.get(id);
    if (input.created.has(id) || (member && input.api.settable(member))) toRead.push(id);
    else pending.push(id);
  }
  return { toRead, pending };
}

/** Applies the declared settings to the declared members; see the file's comment. */
export async function applySettings(input: SettingsInput): Promise<SettingsOutcome> {
  const run = new SettingsRun(input);
  const { toRead, pending } = readable(input);
  pending.forEach((id) => run.pending.add(id));
  const patience = Date.now() + (input.patienceMs ?? SETTINGS_PATIENCE_MS);
  let round = toRead;
  for (let attempt = 0; round.length > 0; attempt++) {
    const { settings, notYet } = await run.read(round);
    const changes = new Map([...settings]
      .map(([id, current]) => [id, settingsChange(input.declared, current)] as const)
      .filter(([, change]) => Object.keys(change).length > 0));
    if (changes.size > 0) {
      // A setting the service did not report is taken as off: that is what putting it back sets.
      const prior = (id: string, change: Record<string, string>) => Object.fromEntries(Object.keys(change).map((k) => [k, settings.get(id)![k] ?? 'DISABLED']));
      await input.journal(new Map([...changes].map(([id, change]) => [id, prior(id, change)] as const)));
    }
    const { written, notYet: writeNotYet } = await run.write(changes);
    await run.verify(written);
    round = [...notYet, ...writeNotYet];
    if (round.length === 0 || run.deferred || Date.now() > patience || (input.deadline !== undefined && Date.now() > input.deadline)) break;
    input.log.info(`${input.api.noun}s: not associated yet, trying again`, { accounts: round, attempt });
    await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** attempt)));
  }
  round.forEach((id) => run.pending.add(id));
  return { changed: run.changed, pending: [...run.pending], problems: run.problems, complete: !run.deferred };
}
