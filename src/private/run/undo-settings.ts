/**
 * Putting back the settings a run changed (GuardDuty's protection plans), from its settings
 * journal, before its membership is put back (an account it created gets its plans back before
 * it is removed). Each group of accounts with the same prior values is read and only what
 * differs is written again, so a playback that spans invocations repeats nothing.
 */
import { recordsOf } from './claim';
import { RunContext } from './context';
import { liveOthers } from './protection';
import { chunk, MemberApi, readAccounts } from '../engine';
import { AccountSettings } from '../execution/api';
import { applySettings, readAttributed, SETTINGS_PATIENCE_MS } from '../execution/settings';
import { claimAccounts } from '../ledger/ledger';
import { JournalRecord } from '../ledger/records';
import { AccountProblem, LiveMember, Plan, removedAccounts } from '../planner';

/**
 * How the settings of the associated accounts a run removes (or deletes to create again, or
 * releases to another declaration while its own declared settings) stand,
 * for its journal: CreateMembers brings an account back with the organization's defaults, so a
 * rollback needs them to put the account back as it was. Only where the handler's role may read
 * and write them (a construct of its stack declares settings); an account whose settings cannot
 * be read (not associated yet) has none to put back.
 */
export async function removedAccountsSettings(run: RunContext, api: MemberApi, plan: Plan,
  live: ReadonlyMap<string, LiveMember>): Promise<Map<string, AccountSettings>> {
  const prior = new Map<string, AccountSettings>();
  const settings = api.settings;
  if (!settings || settings.restorable === false || !run.settingsAllowed.has(run.service.definition.name)) return prior;
  // Accounts released to another declaration leave this one's settings too: removed later by
  // the other's deletion, a rollback here brings them back and needs their settings as they were.
  const released = run.own?.record?.declaration.settings ? plan.released : [];
  const leaving = [...new Set([...removedAccounts(plan.removals), ...plan.additions.delete, ...released])]
    .filter((id) => live.has(id) && settings.settable(live.get(id)!));
  const unread: { accountId: string; reason: string }[] = [];
  for (const batch of chunk(leaving)) {
    const out = await readAttributed(settings, batch);
    out.settings.forEach((values, id) => prior.set(id, values));
    unread.push(...out.unprocessed.filter((u) => !settings.notYet(u.reason)));
  }
  if (unread.length > 0) {
    run.log.warn(`${settings.noun}s of accounts this run removes could not be read: a rollback brings them back without them`, { unread });
  }
  return prior;
}

/**
 * `prior` less the settings another stack's live declaration manages now (it declared them
 * after the failed run, on an account it holds): those are its to keep, not this rollback's to
 * put back. The stack's own resources are rolled back with it.
 */
function withoutOthersSettings(run: RunContext, prior: ReadonlyMap<string, AccountSettings>): Map<string, AccountSettings> {
  const owned = new Map<string, Set<string>>();
  for (const other of liveOthers(run)) {
    const settings = other.record?.declaration.settings;
    if (other.key.stackId === run.key.stackId || !settings) continue;
    for (const id of claimAccounts(other)) {
      owned.set(id, new Set([...owned.get(id) ?? [], ...Object.keys(settings)]));
    }
  }
  const kept = new Map<string, AccountSettings>();
  const leftToOthers: string[] = [];
  for (const [id, values] of prior) {
    const left = Object.entries(values).filter(([key]) => !owned.get(id)?.has(key));
    if (left.length < Object.keys(values).length) leftToOthers.push(id);
    if (left.length > 0) kept.set(id, Object.fromEntries(left));
  }
  if (leftToOthers.length > 0) run.log.info('settings another stack declares now are left to it', { accounts: leftToOthers });
  return kept;
}

/**
 * Puts back the settings of the journal's accounts that `which` selects: before the membership
 * playback, those it removes; after it, the others (CreateMembers, which brings a disassociated
 * organization account back, applies the organization's auto-enable settings to it).
 */
export async function restoreSettings(run: RunContext, journal: JournalRecord, api: MemberApi, known: ReadonlyMap<string, LiveMember>,
  deadline: number, which: (accountId: string) => boolean, recreated = false): Promise<{ problems: AccountProblem[]; complete: boolean }> {
  const journaled = run.own?.journal?.record.requestId === journal.requestId ? recordsOf(run).settingsPrior : new Map();
  const prior = withoutOthersSettings(run, new Map([...journaled].filter(([id]) => which(id))));
  // Settings only ever turned on (Inspector's scan types) stay: turning one off is not what a rollback should do to a scanner.
  if (prior.size === 0 || !api.settings || api.settings.restorable === false) return { problems: [], complete: true };
  const live = new Map(known);
  const unknown = [...prior.keys()].filter((id) => !live.has(id));
  if (unknown.length > 0) (await readAccounts(api, unknown)).forEach((member, id) => live.set(id, member));
  const groups = new Map<string, string[]>();
  for (const [id, values] of prior) {
    const key = JSON.stringify(Object.entries(values).sort());
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  const problems: AccountProblem[] = [];
  let complete = true;
  for (const [key, ids] of groups) {
    const outcome = await applySettings({
      api: api.settings,
      statuses: api.statuses,
      declared: Object.fromEntries(JSON.parse(key)),
      accounts: ids.filter((id) => live.has(id)),
      live,
      created: new Set(),
      log: run.log,
      deadline,
      // An organization account created again answers "not associated" for a moment.
      patienceMs: recreated ? SETTINGS_PATIENCE_MS : 0,
      // The journal records these accounts already: nothing more to write ahead.
      journal: async () => undefined,
    });
    problems.push(...outcome.problems);
    complete &&= outcome.complete;
  }
  run.log.info(`${api.settings.noun}s put back`, { accounts: prior.size, problems: problems.length });
  return { problems, complete };
}
