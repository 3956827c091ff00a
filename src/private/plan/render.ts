/** `plan`'s output: one short table per target (counts first), or the documented JSON shape. */
import { ResourcePlan, TargetPlan, wouldChange } from './preview';

/** A target's plan with where it was read: the credentials' account and the region. */
export interface LocatedTargetPlan extends TargetPlan {
  readonly account?: string;
  readonly region: string;
}

/** The version of the JSON shape: a change that removes or renames a field raises it. */
export const PLAN_JSON_VERSION = 1;

export function renderJson(targets: readonly LocatedTargetPlan[]): string {
  return `${JSON.stringify({ version: PLAN_JSON_VERSION, changes: wouldChange(targets), targets }, undefined, 2)}\n`;
}

const COLORS = { green: 32, yellow: 33, red: 31, dim: 2, bold: 1 } as const;

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`;
  return [line(headers), ...rows.map(line)];
}

const name = (r: ResourcePlan) => `${r.constructPath ?? `${r.stack}/${r.logicalId}`}${r.deleted ? ' (deleted: no longer in the app)' : ''}`;
const list = (ids: readonly string[], max = 20) => (ids.length > max ? `${ids.slice(0, max).join(', ')} and ${ids.length - max} more` : ids.join(', '));

export function renderText(targets: readonly LocatedTargetPlan[], color: boolean): string {
  const paint = (text: string, code: keyof typeof COLORS) => (color ? `\u001b[${COLORS[code]}m${text}\u001b[0m` : text);
  const out: string[] = [];
  if (targets.length === 0) {
    out.push('No GuardDutyMembers, DetectiveGraphMembers, SecurityHubMembers, InspectorMembers or MacieMembers in the selected stacks.');
  }
  for (const target of targets) {
    const where = `(account ${target.account ?? 'unknown'}, ${target.region})`;
    if (target.target === undefined) {
      out.push(paint(`${target.service}: target resolved at deploy time ${where}`, 'bold'), `  ${target.deferred}`);
      for (const r of target.resources) {
        if (r.create.length > 0) out.push(paint(`  + create   ${name(r)}: ${list(r.create)}`, 'green'));
      }
      out.push('');
      continue;
    }
    out.push(paint(`${target.service} ${target.target} ${where}`, 'bold'));
    out.push(...table(['Resource', 'Create', 'Invite', 'Recreate', 'Remove', 'Blocked', 'Unchanged'],
      target.resources.map((r) => [name(r), r.create.length, r.invite.length, r.recreate.length, r.remove.length,
        r.blocked.length + r.failures.length, r.unchanged].map(String))));
    // `plans` for GuardDuty's protection plans, the noun itself for another service's settings (`scan types`).
    const settings = !target.settingsNoun || target.settingsNoun === 'protection plan' ? 'plans' : `${target.settingsNoun}s`;
    for (const r of target.resources) {
      const lines: [string, readonly string[], keyof typeof COLORS][] = [
        ['+ create  ', r.create, 'green'],
        ['~ invite  ', r.invite, 'yellow'],
        ['~ recreate', r.recreate, 'yellow'],
        ['- remove  ', r.remove, 'red'],
        ['= kept    ', r.released, 'dim'],
      ];
      for (const [label, ids, code] of lines) {
        if (ids.length > 0) out.push(paint(`  ${label} ${name(r)}: ${list(ids)}`, code));
      }
      for (const problem of r.blocked) {
        out.push(paint(`  ! blocked  ${name(r)}: ${problem.accountId} (${problem.operation}: ${problem.reason})`, 'red'));
      }
      for (const failure of r.failures) {
        out.push(paint(`  ! fails    ${name(r)}: ${failure}`, 'red'));
      }
      const changes = (r.planChanges ?? []).map((c) => `${c.accountId} ${c.plan} ${c.from} → ${c.to}`);
      if (changes.length > 0) out.push(paint(`  ~ ${settings.padEnd(8)} ${name(r)}: ${list(changes)}`, 'yellow'));
      if (r.plansPending?.length) out.push(paint(`  … pending  ${name(r)}: ${settings} wait for ${list(r.plansPending)} (not associated yet)`, 'dim'));
      if (r.awaiting?.length) out.push(paint(`  … under way ${name(r)}: ${list(r.awaiting)} (association started; the deployment awaits it)`, 'yellow'));
    }
    const coverage = target.coverage!;
    const unclaimed = coverage.unclaimedMembers.map((m) => `${m.accountId} ${m.status}`);
    out.push(`  Coverage: ${unclaimed.length} member${unclaimed.length === 1 ? '' : 's'} no declaration holds${unclaimed.length ? ` (${list(unclaimed)})` : ''}; ` +
      `${coverage.claimedNotMembers.length} claimed account${coverage.claimedNotMembers.length === 1 ? '' : 's'} not a member` +
      `${coverage.claimedNotMembers.length ? ` (${list(coverage.claimedNotMembers)})` : ''}`);
    for (const orphan of coverage.orphanedClaims) {
      out.push(paint(`  Orphaned claim: ${orphan.stack}/${orphan.logicalId} holds ${orphan.accounts} account${orphan.accounts === 1 ? '' : 's'}; ` +
        'its resource left the stack and its Delete was refused: released only by adding it back (see docs/ownership.md)', 'yellow'));
    }
    out.push('');
  }
  out.push(wouldChange(targets) ? 'The next deployment would change membership (exit code 2).' : 'No changes: membership matches every declaration (exit code 0).');
  return `${out.join('\n')}\n`;
}
