/**
 * The plan that puts membership back as it was before a failed run, from the run's journal
 * (prior states) and live state now. Pure, like the planner it builds on.
 */
import { addRemoval, LiveMember, MemberStatusModel, Plan, planMembers, sameEmail } from './planner';

/** How an account the failed run changed stood before it: `undefined` for no member. */
export type PriorState = { readonly status: string; readonly email?: string } | undefined;

export interface RestoreInput {
  readonly statuses: MemberStatusModel;
  /** Every account in the failed run's scope, and how it stood before the run (`undefined`: no member). */
  readonly before: ReadonlyMap<string, PriorState>;
  /** Live state of those accounts now. */
  readonly live: readonly LiveMember[];
  /** Accounts a live declaration holds once the claim is back as it was: the restored claim's, and others'. */
  readonly held: ReadonlySet<string>;
  /**
   * Accounts another live declaration holds: never removed, even if the run created them, and
   * not recreated for an email the run changed (the other declaration wants them as they are).
   */
  readonly heldElsewhere: ReadonlySet<string>;
  /** Members no declaration held before the run (adopted by it): put back, never removed. */
  readonly unmanaged: ReadonlySet<string>;
  /** Emails to recreate members with, when the prior state does not record one. */
  readonly emails: ReadonlyMap<string, string>;
}

export interface Restore {
  readonly plan: Plan;
  /** Accounts recreated or invited that must accept an invitation again (they had been invited or had accepted). */
  readonly reinvited: string[];
  /** Accounts whose prior state cannot be brought back without removing them (logged, left as they are). */
  readonly inexact: { readonly accountId: string; readonly before: string; readonly now: string }[];
  /** Accounts to recreate whose email is unknown (cannot happen with a complete journal; reported). */
  readonly missingEmail: string[];
  /**
   * Accounts whose email the run changed, left with the new one: recreating them would drop an
   * accepted membership or one another declaration holds, for nothing but the old email.
   */
  readonly keptEmail: string[];
  /** Members no declaration holds any more (their holder let them go while the run held them): removed. */
  readonly released: string[];
}

/** Whether a member in `status` had been invited (or had accepted), so bringing it back invites it again. */
function wasInvited(statuses: MemberStatusModel, status: string): boolean {
  return statuses.settled.includes(status) || statuses.verificationFailed.includes(status);
}

/**
 * Back to the membership before a failed run, from its journal's prior states and live state
 * now, whatever part of the run had happened (so a restore that spans invocations plans its
 * rest afresh): members it created go (unless another declaration holds them), members it
 * removed come back with their recorded email (invited again if they had been invited or had
 * accepted), an email it changed is changed back. A member that was there before is never
 * removed while a declaration holds it or no declaration held it before the run (adopted); a
 * status it cannot restore without removing it is left and reported.
 */
export function planRestore(input: RestoreInput): Restore {
  const { statuses } = input;
  const live = new Map(input.live.map((m) => [m.accountId, m]));
  const restore: Restore = {
    plan: planMembers({ statuses, desired: [], previous: [], live: [], invite: false, removal: 'DELETE' }),
    reinvited: [],
    inexact: [],
    missingEmail: [],
    keptEmail: [],
    released: [],
  };
  for (const [accountId, prior] of input.before) {
    const now = live.get(accountId);
    if (prior === undefined) {
      if (now && !input.heldElsewhere.has(accountId)) addRemoval(restore.plan.removals, statuses, now, 'DELETE');
    } else if (!input.held.has(accountId) && !input.unmanaged.has(accountId)) {
      if (now) {
        addRemoval(restore.plan.removals, statuses, now, 'DELETE');
        restore.released.push(accountId);
      }
    } else {
      restoreMember(input, restore, accountId, prior, now);
    }
  }
  return restore;
}

/** One member that was there before the run and must be again, as it was. */
function restoreMember(input: RestoreInput, restore: Restore, accountId: string, prior: NonNullable<PriorState>, now: LiveMember | undefined): void {
  const { statuses } = input;
  const { plan } = restore;
  const email = prior.email || input.emails.get(accountId);
  // Only where the service invites: an account Inspector associates again accepts nothing.
  const invites = statuses.invitable.length > 0 || statuses.createInvites;
  const reinvite = () => {
    if (invites && wasInvited(statuses, prior.status)) restore.reinvited.push(accountId);
  };
  let emailChanged = now !== undefined && !!prior.email && !!now.email && !sameEmail(now.email, prior.email);
  if (emailChanged && (input.heldElsewhere.has(accountId) || statuses.accepted.includes(now!.status))) {
    restore.keptEmail.push(accountId);
    emailChanged = false;
  }
  if (!now || emailChanged) {
    if (!email && !statuses.emailless) {
      restore.missingEmail.push(accountId);
      return;
    }
    if (now) {
      if (statuses.hasDisassociate && !statuses.unassociated.includes(now.status)) plan.additions.disassociate.push(accountId);
      if (statuses.hasDelete !== false) plan.additions.delete.push(accountId);
    }
    plan.additions.create.push({ accountId, email: email ?? '' });
    reinvite();
    return;
  }
  if (now.status === prior.status || sameStatus(now.status, prior.status)) return;
  if (statuses.inProgress?.includes(now.status)) {
    // An association this restore (or the run) started, not through yet: awaited until its end.
    plan.awaiting.push(accountId);
  } else if (statuses.recreatable.includes(now.status) && !statuses.recreatable.includes(prior.status)) {
    // Disassociated by the run (its record kept): CreateMembers brings it back, as a removed one.
    plan.additions.create.push({ accountId, email: email ?? now.email ?? '' });
    reinvite();
  } else if (wasInvited(statuses, prior.status) && statuses.invitable.includes(now.status) && !statuses.createInvites) {
    // Recreated earlier in this restore, not invited yet.
    plan.additions.invite.push(accountId);
    reinvite();
  } else if (statuses.hasDisassociate && statuses.recreatable.includes(prior.status) && !statuses.unassociated.includes(now.status)) {
    // The run invited a disassociated member: disassociating it again brings it back.
    plan.removals.disassociate.push(accountId);
  } else {
    restore.inexact.push({ accountId, before: prior.status, now: now.status });
  }
}

/** Statuses compare case-insensitively (Security Hub has answered both cases). */
function sameStatus(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

