/**
 * The pure planner: declared members (now and before), what other claims hold, and live
 * membership in, a plan out; plus the removal guard and the plan that restores membership after
 * a failed deployment. No SDK, no I/O, so every contract rule is a table test.
 */
import { MemberDeclaration } from './properties';

/** A member as ListMembers / GetMembers report it, reduced to what planning needs. */
export interface LiveMember {
  readonly accountId: string;
  /** Recorded email; organization members may have none. */
  readonly email?: string;
  readonly status: string;
  /** Why an accepted member does not contribute, when the service says (Detective `DisabledReason`). */
  readonly disabledReason?: string;
}

/** How one service's members behave (each service folder defines its own). */
export interface MemberStatusModel {
  /** The service's name, for reasons and logs. */
  readonly service: string;
  /** Members one administrator (or target) may hold. */
  readonly quota: number;
  /** The service's quotas in words, where one number does not say it all (Macie: 1,000 of them by invitation). */
  readonly quotaNote?: string;
  /**
   * Members that accepted (working or suspended in the member account): kept whatever their
   * recorded email, since recreating them would make them accept again.
   */
  readonly accepted: readonly string[];
  /** Accepted members that do not contribute (e.g. the service is suspended in the member account). */
  readonly disabled: readonly string[];
  /** Members that need nothing (invitation pending or accepted). */
  readonly settled: readonly string[];
  /** Existing members that InviteMembers can (re)invite. */
  readonly invitable: readonly string[];
  /** Existing members that only CreateMembers brings back (disassociated organization accounts). */
  readonly recreatable: readonly string[];
  /** Invitation failed: the recorded email is not the account's root email. */
  readonly verificationFailed: readonly string[];
  /** States with no association to undo, so DisassociateMembers is skipped. */
  readonly unassociated: readonly string[];
  /** Whether the service has DisassociateMembers (GuardDuty) or only DeleteMembers (Detective). */
  readonly hasDisassociate: boolean;
  /** Whether CreateMembers invites by itself (Detective) or InviteMembers is separate (GuardDuty). */
  readonly createInvites: boolean;
  /**
   * Whether the service keeps the record of some disassociated members and refuses to delete
   * it (Security Hub, for organization accounts): such a member counts as removed.
   */
  readonly keepsDisassociated?: boolean;
  /** False when the service has no way to delete a member's record (Inspector: disassociating is removing). */
  readonly hasDelete?: boolean;
  /**
   * States of a change still under way (an asynchronous association): the account is awaited,
   * never asked again.
   */
  readonly inProgress?: readonly string[];
  /** Final states in which an association failed, each with what it means for the user. */
  readonly failedStates?: Readonly<Record<string, string>>;
  /** Members are named by account ID alone: no email is recorded, and none is needed to add one again. */
  readonly emailless?: boolean;
  /** The service's own names of the operations (`CreateMembers` → `AssociateMember`), for reasons and logs. */
  readonly operations?: Readonly<Record<string, string>>;
}

/** The service's name of an operation (the engine's names are the batch services'). */
export function operationName(statuses: MemberStatusModel, operation: string): string {
  return statuses.operations?.[operation] ?? operation;
}

export type RemovalMode = 'DISASSOCIATE' | 'DELETE';

export interface PlanInput {
  readonly statuses: MemberStatusModel;
  /** Declared now. */
  readonly desired: readonly MemberDeclaration[];
  /** Accounts this resource held before (empty on create and on a new detector/graph). */
  readonly previous: readonly string[];
  /** Live state of the accounts that matter here (at least desired and previous); an account not listed is not a member. */
  readonly live: readonly LiveMember[];
  /** Accounts some other live declaration holds: never removed (the last claim removes). */
  readonly protected?: ReadonlySet<string>;
  /**
   * Act only on accounts whose declaration changed: an account declared before and now is left
   * as it is (the first event after an upgrade changes no membership by itself).
   */
  readonly onlyChanges?: boolean;
  /** Members the target holds in all (for the quota); default: the live members listed. */
  readonly memberCount?: number;
  /** Invite members left in an invitable state (GuardDuty `invite`). */
  readonly invite: boolean;
  readonly removal: RemovalMode;
}

/** An account the plan cannot bring to the declared state. */
export interface AccountProblem {
  readonly accountId: string;
  /** The API operation whose outcome is the problem, e.g. `InviteMembers`. */
  readonly operation: string;
  readonly reason: string;
}

export interface Removals {
  readonly disassociate: string[];
  readonly delete: string[];
}

export interface Plan {
  /** Additions phase, run first, in this order. */
  readonly additions: {
    /** Members to recreate with a new email: disassociate first (GuardDuty, when associated). */
    readonly disassociate: string[];
    /** ...then delete their record... */
    readonly delete: string[];
    /** ...then CreateMembers for them, new accounts and recreatable ones. */
    readonly create: MemberDeclaration[];
    /** Existing members to invite (GuardDuty). Created accounts are invited after CreateMembers. */
    readonly invite: string[];
  };
  /** Removals phase, run only after every addition succeeded. */
  readonly removals: Removals;
  /** Accounts no longer declared here that another claim holds: released, not removed. */
  readonly released: string[];
  /** Declared accounts that need the user to act (e.g. a wrong root email). */
  readonly blocked: AccountProblem[];
  /** Declared accounts that are already where they should be. */
  readonly unchanged: string[];
  /** Declared accounts whose change is still under way (asynchronous association): awaited, not asked again. */
  readonly awaiting: string[];
  /** Accepted members kept although their recorded email differs from the declared one (logged). */
  readonly keptDespiteEmail: string[];
  /** Members when the additions phase is done, before removals: checked against the quota. */
  readonly peakMembers: number;
  readonly quota: number;
}

export function sameEmail(a: string | undefined, b: string | undefined): boolean {
  // Addresses are compared case-insensitively: AWS treats root emails that way, and a
  // spelling-only difference must not delete and re-invite a member.
  return (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();
}

/** How to take one member out: disassociate while associated (GuardDuty), delete unless only disassociating. */
export function addRemoval(removals: Removals, statuses: MemberStatusModel, member: LiveMember, mode: RemovalMode): void {
  if (statuses.hasDisassociate && !statuses.unassociated.includes(member.status)) {
    removals.disassociate.push(member.accountId);
  }
  if ((mode === 'DELETE' || !statuses.hasDisassociate) && statuses.hasDelete !== false) {
    removals.delete.push(member.accountId);
  }
}

export function planMembers(input: PlanInput): Plan {
  const { statuses } = input;
  const live = new Map(input.live.map((m) => [m.accountId, m]));
  const plan: Plan = {
    additions: { disassociate: [], delete: [], create: [], invite: [] },
    removals: { disassociate: [], delete: [] },
    released: [],
    blocked: [],
    unchanged: [],
    awaiting: [],
    keptDespiteEmail: [],
    peakMembers: 0,
    quota: statuses.quota,
  };
  const previousIds = new Set(input.previous);
  for (const member of input.desired) {
    if (input.onlyChanges && previousIds.has(member.accountId)) {
      plan.unchanged.push(member.accountId);
    } else {
      planDeclared(input, plan, member, live.get(member.accountId));
    }
  }
  // Ownership: only accounts this resource held before may leave, and only if no other claim holds them.
  const desiredIds = new Set(input.desired.map((m) => m.accountId));
  for (const accountId of previousIds) {
    const current = live.get(accountId);
    if (desiredIds.has(accountId) || !current) {
      continue;
    }
    if (input.protected?.has(accountId)) {
      plan.released.push(accountId);
      continue;
    }
    addRemoval(plan.removals, statuses, current, input.removal);
  }
  const newMembers = plan.additions.create.filter((m) => !live.has(m.accountId)).length;
  (plan as { peakMembers: number }).peakMembers = (input.memberCount ?? live.size) + newMembers;
  return plan;
}

/** What one declared account needs, from its live state. */
function planDeclared(input: PlanInput, plan: Plan, member: MemberDeclaration, current: LiveMember | undefined): void {
  const { statuses } = input;
  const has = (list: readonly string[], status: string) => list.includes(status);
  if (!current) {
    plan.additions.create.push(member);
    return;
  }
  if (has(statuses.inProgress ?? [], current.status)) {
    plan.awaiting.push(member.accountId);
    return;
  }
  const failedState = statuses.failedStates?.[current.status];
  if (failedState !== undefined) {
    plan.blocked.push({ accountId: member.accountId, operation: operationName(statuses, 'CreateMembers'), reason: `the member is ${current.status}: ${failedState}` });
    return;
  }
  const emailDiffers = !statuses.emailless && current.email !== undefined && current.email !== '' && !sameEmail(current.email, member.email);
  if (emailDiffers && has(statuses.accepted, current.status)) {
    plan.keptDespiteEmail.push(member.accountId);
    plan.unchanged.push(member.accountId);
  } else if (emailDiffers) {
    // A wrong email never verifies: only a new record with the declared email helps.
    if (statuses.hasDisassociate && !has(statuses.unassociated, current.status)) {
      plan.additions.disassociate.push(member.accountId);
    }
    if (statuses.hasDelete !== false) plan.additions.delete.push(member.accountId);
    plan.additions.create.push(member);
  } else if (has(statuses.verificationFailed, current.status)) {
    plan.blocked.push({
      accountId: member.accountId,
      operation: operationName(statuses, statuses.createInvites ? 'CreateMembers' : 'InviteMembers'),
      reason: `email verification failed (${current.status}): the declared email is not the account's root email; declare the right address to recreate the member`,
    });
  } else if (has(statuses.recreatable, current.status)) {
    plan.additions.create.push(member);
  } else if (has(statuses.invitable, current.status) && input.invite) {
    plan.additions.invite.push(member.accountId);
  } else {
    plan.unchanged.push(member.accountId);
  }
}

/** Accounts a plan takes out of the target. */
export function removedAccounts(removals: Removals): string[] {
  return [...new Set([...removals.disassociate, ...removals.delete])];
}

/** Members this resource held that are still members and no other claim holds: removed when it is deleted. */
export function planDeletion(
  statuses: MemberStatusModel,
  held: readonly string[],
  live: readonly LiveMember[],
  removal: RemovalMode,
  protectedIds: ReadonlySet<string> = new Set(),
): Removals {
  return planMembers({ statuses, desired: [], previous: held, live, invite: false, removal, protected: protectedIds }).removals;
}

/** A plan that only removes `removals`. */
export function removalsOnly(statuses: MemberStatusModel, removals: Removals): Plan {
  return { ...planMembers({ statuses, desired: [], previous: [], live: [], invite: false, removal: 'DELETE' }), removals };
}

/** Below this many previously held accounts, removals are not limited by default. */
export const REMOVAL_GUARD_FLOOR = 10;
/** The default limit: a quarter of the previous declaration. */
export const REMOVAL_GUARD_SHARE = 0.25;

/**
 * The most removals one deployment (or sync) may make: `maxRemovals` when set, else no limit
 * below 10 previously held accounts, else 25% of them, rounded up.
 */
export function removalLimit(previousCount: number, maxRemovals?: number): number {
  if (maxRemovals !== undefined) {
    return maxRemovals;
  }
  return previousCount < REMOVAL_GUARD_FLOOR ? Number.POSITIVE_INFINITY : Math.ceil(previousCount * REMOVAL_GUARD_SHARE);
}

/** The accounts a plan changes. */
export function changedAccounts(plan: Plan): string[] {
  return [...new Set([
    ...plan.additions.disassociate,
    ...plan.additions.delete,
    ...plan.additions.create.map((m) => m.accountId),
    ...plan.additions.invite,
    ...removedAccounts(plan.removals),
  ])];
}

/** The declared members: the static ones, then the organization's accounts they do not name (`recorded` restricts those: a run that continues). */
export function unionDeclaration(members: readonly MemberDeclaration[], organization: ReadonlyMap<string, string>,
  recorded?: ReadonlySet<string>): { desired: MemberDeclaration[]; fromOrganizations: string[] } {
  const staticIds = new Set(members.map((m) => m.accountId));
  const fromOrganizations = [...organization.keys()].filter((id) => !staticIds.has(id) && (!recorded || recorded.has(id)));
  return {
    desired: [...members, ...fromOrganizations.map((accountId) => ({ accountId, email: organization.get(accountId)! }))],
    fromOrganizations,
  };
}

const accounts = (n: number) => `${n} account${n === 1 ? '' : 's'}`;

/** Why a run may not remove `removing` accounts (the removal guard), or undefined when it may. */
export function removalGuardReason(service: string, noun: string, removing: number, previousCount: number, maxRemovals?: number,
  what = 'deployment'): string | undefined {
  const limit = removalLimit(previousCount, maxRemovals);
  if (removing <= limit) {
    return undefined;
  }
  const which = maxRemovals !== undefined
    ? `the ${limit} that maxRemovals allows`
    : `the default limit of ${limit} (25% of the ${previousCount} accounts declared before, rounded up)`;
  return `${service}: this ${what} would remove ${accounts(removing)} from the ${noun}, ` +
    `more than ${which}. Nothing was changed. If the removals are intended, set maxRemovals to ${removing} or more for this ${what} ` +
    '(an empty or truncated account list looks like this).';
}

/** Why `plan` cannot run within the service's quota (`total` members now), or undefined when it can. */
export function quotaReason(service: string, plan: Plan, total: number): string | undefined {
  if (plan.peakMembers <= plan.quota) {
    return undefined;
  }
  const removing = removedAccounts(plan.removals).length;
  return `${service}: the declaration would bring membership to ${plan.peakMembers} accounts ` +
    `(${total} now, ${plan.peakMembers - total} to add), over the service limit of ${plan.quota}. Nothing was changed.` +
    (removing > 0 ? ' Additions run before removals: remove accounts in one deployment, then add in the next.' : '');
}
