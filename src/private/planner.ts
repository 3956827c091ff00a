/**
 * The pure planner: declared members (now and before) plus live membership in, a plan out.
 * No SDK, no I/O, so every contract rule is a table test.
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
}

export type RemovalMode = 'DISASSOCIATE' | 'DELETE';

export interface PlanInput {
  readonly statuses: MemberStatusModel;
  /** Declared now. */
  readonly desired: readonly MemberDeclaration[];
  /** Declared in the previous properties (empty on create and on a new detector/graph). */
  readonly previous: readonly MemberDeclaration[];
  readonly live: readonly LiveMember[];
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
  readonly removals: {
    readonly disassociate: string[];
    readonly delete: string[];
  };
  /** Declared accounts that need the user to act (e.g. a wrong root email). */
  readonly blocked: AccountProblem[];
  /** Declared accounts that are already where they should be. */
  readonly unchanged: string[];
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

export function planMembers(input: PlanInput): Plan {
  const { statuses } = input;
  const live = new Map(input.live.map((m) => [m.accountId, m]));
  const desiredIds = new Set(input.desired.map((m) => m.accountId));
  const has = (list: readonly string[], status: string) => list.includes(status);

  const plan: Plan = {
    additions: { disassociate: [], delete: [], create: [], invite: [] },
    removals: { disassociate: [], delete: [] },
    blocked: [],
    unchanged: [],
    keptDespiteEmail: [],
    peakMembers: 0,
    quota: statuses.quota,
  };

  for (const member of input.desired) {
    const current = live.get(member.accountId);
    if (!current) {
      plan.additions.create.push(member);
      continue;
    }
    const emailDiffers = current.email !== undefined && current.email !== '' && !sameEmail(current.email, member.email);
    if (emailDiffers && has(statuses.accepted, current.status)) {
      plan.keptDespiteEmail.push(member.accountId);
      plan.unchanged.push(member.accountId);
    } else if (emailDiffers) {
      // A wrong email never verifies: only a new record with the declared email helps.
      if (statuses.hasDisassociate && !has(statuses.unassociated, current.status)) {
        plan.additions.disassociate.push(member.accountId);
      }
      plan.additions.delete.push(member.accountId);
      plan.additions.create.push(member);
    } else if (has(statuses.verificationFailed, current.status)) {
      plan.blocked.push({
        accountId: member.accountId,
        operation: statuses.createInvites ? 'CreateMembers' : 'InviteMembers',
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

  // Ownership: only accounts this resource declared before may be removed.
  const removed = new Set<string>();
  for (const member of input.previous) {
    const current = live.get(member.accountId);
    if (desiredIds.has(member.accountId) || !current || removed.has(member.accountId)) {
      continue;
    }
    removed.add(member.accountId);
    if (statuses.hasDisassociate && !has(statuses.unassociated, current.status)) {
      plan.removals.disassociate.push(member.accountId);
    }
    if (input.removal === 'DELETE' || !statuses.hasDisassociate) {
      plan.removals.delete.push(member.accountId);
    }
  }

  const newMembers = plan.additions.create.filter((m) => !live.has(m.accountId)).length;
  (plan as { peakMembers: number }).peakMembers = live.size + newMembers;
  return plan;
}

/** Declared members still present, to remove when the resource is deleted. */
export function planDeletion(
  statuses: MemberStatusModel,
  declared: readonly MemberDeclaration[],
  live: readonly LiveMember[],
  removal: RemovalMode,
): Plan['removals'] {
  return planMembers({ statuses, desired: [], previous: declared, live, invite: false, removal }).removals;
}
