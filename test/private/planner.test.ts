import { LiveMember, MemberStatusModel, Plan, PlanInput, planDeletion, planMembers, removalLimit, sameEmail } from '../../src/private/planner';
import { MemberDeclaration } from '../../src/private/properties';
import { planRestore, PriorState, RestoreInput } from '../../src/private/restore-plan';
import { DETECTIVE_STATUSES } from '../../src/private/services/detective/statuses';
import { GUARDDUTY_STATUSES } from '../../src/private/services/guardduty/statuses';
import { INSPECTOR_STATUSES } from '../../src/private/services/inspector/statuses';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';

const m = (accountId: string, email = `${accountId}@example.com`): MemberDeclaration => ({ accountId, email });
const live = (accountId: string, status: string, email = `${accountId}@example.com`): LiveMember => ({ accountId, status, email });

function plan(statuses: MemberStatusModel, input: Partial<PlanInput>): Plan {
  return planMembers({ statuses, desired: [], previous: [], live: [], invite: true, removal: 'DELETE', ...input });
}

/** The plan as lists of account IDs, so each row reads as one sentence. */
function summary(p: Plan): PlanSummary {
  return {
    disassociateFirst: p.additions.disassociate,
    deleteFirst: p.additions.delete,
    create: p.additions.create.map((x) => x.accountId),
    invite: p.additions.invite,
    disassociate: p.removals.disassociate,
    delete: p.removals.delete,
    blocked: p.blocked.map((b) => b.accountId),
    unchanged: p.unchanged,
  };
}

type PlanStep = 'disassociateFirst' | 'deleteFirst' | 'create' | 'invite' | 'disassociate' | 'delete' | 'blocked' | 'unchanged';
type PlanSummary = Record<PlanStep, string[]>;
const none: PlanSummary = {
  disassociateFirst: [], deleteFirst: [], create: [], invite: [], disassociate: [], delete: [], blocked: [], unchanged: [],
};

describe('GuardDuty plan', () => {
  test.each<[string, Partial<PlanInput>, Partial<PlanSummary>]>([
    ['declared, not a member: create', { desired: [m(A)] }, { create: [A] }],
    ['declared, Created: invite', { desired: [m(A)], live: [live(A, 'Created')] }, { invite: [A] }],
    ['declared, Resigned: invite', { desired: [m(A)], live: [live(A, 'Resigned')] }, { invite: [A] }],
    // Removed organization accounts come back only through CreateMembers; invited ones are
    // then invited after CreateMembers reports them still Removed.
    ['declared, Removed: CreateMembers (then invite)', { desired: [m(A)], live: [live(A, 'Removed')] }, { create: [A] }],
    ['declared, Created, invite off: nothing', { desired: [m(A)], live: [live(A, 'Created')], invite: false }, { unchanged: [A] }],
    ['declared, Invited: nothing', { desired: [m(A)], live: [live(A, 'Invited')] }, { unchanged: [A] }],
    ['declared, Enabled: nothing', { desired: [m(A)], live: [live(A, 'Enabled')] }, { unchanged: [A] }],
    ['declared, Disabled: nothing', { desired: [m(A)], live: [live(A, 'Disabled')] }, { unchanged: [A] }],
    ['declared, EmailVerificationInProgress: nothing', { desired: [m(A)], live: [live(A, 'EmailVerificationInProgress')] }, { unchanged: [A] }],
    ['email differs, Invited: disassociate, delete, create again',
      { desired: [m(A, 'new@example.com')], live: [live(A, 'Invited', 'old@example.com')] },
      { disassociateFirst: [A], deleteFirst: [A], create: [A] }],
    ['email differs, Created: delete and create again (nothing to disassociate)',
      { desired: [m(A, 'new@example.com')], live: [live(A, 'Created', 'old@example.com')] },
      { deleteFirst: [A], create: [A] }],
    ['email differs, EmailVerificationFailed: delete and create again',
      { desired: [m(A, 'right@example.com')], live: [live(A, 'EmailVerificationFailed', 'wrong@example.com')] },
      { deleteFirst: [A], create: [A] }],
    ['email differs, Enabled: kept as it is', { desired: [m(A, 'new@example.com')], live: [live(A, 'Enabled', 'old@example.com')] }, { unchanged: [A] }],
    ['email differs, Disabled (accepted): kept as it is', { desired: [m(A, 'new@example.com')], live: [live(A, 'Disabled', 'old@example.com')] }, { unchanged: [A] }],
    ['email differs only in case: nothing', { desired: [m(A, 'Root@Example.com')], live: [live(A, 'Invited', 'root@example.com')] }, { unchanged: [A] }],
    ['organization member without recorded email: nothing', { desired: [m(A)], live: [live(A, 'Enabled', '')] }, { unchanged: [A] }],
    ['same email, EmailVerificationFailed: blocked', { desired: [m(A)], live: [live(A, 'EmailVerificationFailed')] }, { blocked: [A] }],
    ['previously declared, dropped, Enabled: disassociate and delete',
      { previous: [A], live: [live(A, 'Enabled')] }, { disassociate: [A], delete: [A] }],
    ['previously declared, dropped, Created: delete only', { previous: [A], live: [live(A, 'Created')] }, { delete: [A] }],
    ['previously declared, dropped, DISASSOCIATE mode: disassociate only',
      { previous: [A], live: [live(A, 'Invited')], removal: 'DISASSOCIATE' }, { disassociate: [A] }],
    ['previously declared, dropped, DISASSOCIATE mode, already Removed: nothing',
      { previous: [A], live: [live(A, 'Removed')], removal: 'DISASSOCIATE' }, {}],
    ['previously declared, dropped, already gone: nothing', { previous: [A] }, {}],
    ['never declared member (added by hand): never touched', { desired: [m(B)], live: [live(A, 'Enabled'), live(B, 'Enabled')] }, { unchanged: [B] }],
    ['still declared: not removed', { desired: [m(A)], previous: [A], live: [live(A, 'Enabled')] }, { unchanged: [A] }],
    ['previous list repeats an account: removed once', { previous: [A, A], live: [live(A, 'Enabled')] }, { disassociate: [A], delete: [A] }],
  ])('%s', (_name, input, expected) => {
    expect(summary(plan(GUARDDUTY_STATUSES, input))).toEqual({ ...none, ...expected });
  });

  test('accepted members kept despite their email are listed for the log', () => {
    const p = plan(GUARDDUTY_STATUSES, { desired: [m(A, 'new@example.com'), m(B)], live: [live(A, 'Disabled', 'old@example.com'), live(B, 'Enabled')] });
    expect(p.keptDespiteEmail).toEqual([A]);
  });

  test('create carries the declared email', () => {
    const p = plan(GUARDDUTY_STATUSES, { desired: [m(A, 'new@example.com')], live: [live(A, 'Invited', 'old@example.com')] });
    expect(p.additions.create).toEqual([{ accountId: A, email: 'new@example.com' }]);
  });

  test('blocked accounts name the operation and the reason', () => {
    const p = plan(GUARDDUTY_STATUSES, { desired: [m(A)], live: [live(A, 'EmailVerificationFailed')] });
    expect(p.blocked).toEqual([{ accountId: A, operation: 'InviteMembers', reason: expect.stringMatching(/email verification failed.*root email/) }]);
  });

  test('rollback update (properties swapped): the accounts the failed update added are removed, the old ones kept', () => {
    // The failed update declared [A, B, C] over [A]; B was created, C failed. CloudFormation
    // then sends an Update with the old properties as new and the failed ones as old.
    const rollback = plan(GUARDDUTY_STATUSES, {
      desired: [m(A)],
      previous: [A, B, C],
      live: [live(A, 'Enabled'), live(B, 'Invited')],
    });
    expect(summary(rollback)).toEqual({ ...none, unchanged: [A], disassociate: [B], delete: [B] });
  });

  test('rollback of a failed email change recreates the old email', () => {
    const rollback = plan(GUARDDUTY_STATUSES, {
      desired: [m(A, 'old@example.com')],
      previous: [A],
      live: [live(A, 'Invited', 'new@example.com')],
    });
    expect(summary(rollback)).toEqual({ ...none, disassociateFirst: [A], deleteFirst: [A], create: [A] });
    expect(rollback.additions.create[0].email).toBe('old@example.com');
  });

  test('peak membership counts live members plus new ones, before removals', () => {
    const p = plan(GUARDDUTY_STATUSES, {
      desired: [m(B), m(C)],
      previous: [A],
      live: [live(A, 'Enabled'), live(B, 'Removed')],
    });
    expect(p.peakMembers).toBe(3);
    expect(p.quota).toBe(50_000);
  });

  test('deletion plan removes only declared members that are still members', () => {
    expect(planDeletion(GUARDDUTY_STATUSES, [A, B, C], [live(A, 'Enabled'), live(B, 'Created'), live('999999999999', 'Enabled')], 'DELETE'))
      .toEqual({ disassociate: [A], delete: [A, B] });
    expect(planDeletion(GUARDDUTY_STATUSES, [A], [live(A, 'Enabled')], 'DISASSOCIATE')).toEqual({ disassociate: [A], delete: [] });
  });
});

describe('Detective plan', () => {
  test.each<[string, Partial<PlanInput>, Partial<PlanSummary>]>([
    ['declared, not a member: create (CreateMembers invites)', { desired: [m(A)] }, { create: [A] }],
    ['declared, INVITED: nothing', { desired: [m(A)], live: [live(A, 'INVITED')] }, { unchanged: [A] }],
    ['declared, VERIFICATION_IN_PROGRESS: nothing', { desired: [m(A)], live: [live(A, 'VERIFICATION_IN_PROGRESS')] }, { unchanged: [A] }],
    ['declared, ENABLED: nothing', { desired: [m(A)], live: [live(A, 'ENABLED')] }, { unchanged: [A] }],
    ['declared, ACCEPTED_BUT_DISABLED: nothing', { desired: [m(A)], live: [live(A, 'ACCEPTED_BUT_DISABLED')] }, { unchanged: [A] }],
    ['same email, VERIFICATION_FAILED: blocked', { desired: [m(A)], live: [live(A, 'VERIFICATION_FAILED')] }, { blocked: [A] }],
    ['email differs, VERIFICATION_FAILED: delete and create again',
      { desired: [m(A, 'right@example.com')], live: [live(A, 'VERIFICATION_FAILED', 'wrong@example.com')] },
      { deleteFirst: [A], create: [A] }],
    ['email differs, INVITED: delete and create again',
      { desired: [m(A, 'new@example.com')], live: [live(A, 'INVITED', 'old@example.com')] },
      { deleteFirst: [A], create: [A] }],
    ['email differs, ENABLED: kept', { desired: [m(A, 'new@example.com')], live: [live(A, 'ENABLED', 'old@example.com')] }, { unchanged: [A] }],
    ['email differs, ACCEPTED_BUT_DISABLED: kept', { desired: [m(A, 'new@example.com')], live: [live(A, 'ACCEPTED_BUT_DISABLED', 'old@example.com')] }, { unchanged: [A] }],
    ['previously declared, dropped: DeleteMembers, never disassociate', { previous: [A], live: [live(A, 'ENABLED')] }, { delete: [A] }],
    ['previously declared, dropped, DISASSOCIATE mode still deletes (Detective has no disassociate)',
      { previous: [A], live: [live(A, 'INVITED')], removal: 'DISASSOCIATE' }, { delete: [A] }],
    ['never declared: never touched', { live: [live(A, 'ENABLED')] }, {}],
  ])('%s', (_name, input, expected) => {
    expect(summary(plan(DETECTIVE_STATUSES, input))).toEqual({ ...none, ...expected });
  });

  test('blocked accounts are reported against CreateMembers', () => {
    const p = plan(DETECTIVE_STATUSES, { desired: [m(A)], live: [live(A, 'VERIFICATION_FAILED')] });
    expect(p.blocked[0].operation).toBe('CreateMembers');
  });

  test('quota is 1,200 per graph, peak includes live members', () => {
    const liveMembers = Array.from({ length: 1_190 }, (_, i) => live(String(100000000000 + i), 'ENABLED'));
    const desired = Array.from({ length: 20 }, (_, i) => m(String(200000000000 + i)));
    const p = plan(DETECTIVE_STATUSES, { desired, live: liveMembers });
    expect(p.quota).toBe(1_200);
    expect(p.peakMembers).toBe(1_210);
  });
});

describe('sameEmail', () => {
  test.each([
    ['a@example.com', 'a@example.com', true],
    ['A@Example.COM', 'a@example.com', true],
    [' a@example.com ', 'a@example.com', true],
    ['a@example.com', 'b@example.com', false],
    [undefined, 'a@example.com', false],
  ])('%s vs %s', (a, b, expected) => {
    expect(sameEmail(a, b)).toBe(expected);
  });
});

describe('ownership: the last claim removes', () => {
  test('an account no longer declared here that another claim holds is released, not removed', () => {
    const p = plan(GUARDDUTY_STATUSES, { previous: [A, B], live: [live(A, 'Enabled'), live(B, 'Enabled')], protected: new Set([B]) });
    expect(summary(p)).toEqual({ ...none, disassociate: [A], delete: [A] });
    expect(p.released).toEqual([B]);
  });

  test('after an upgrade, accounts declared before and now are left as they are (no drift repair by the upgrade itself)', () => {
    const p = plan(GUARDDUTY_STATUSES, {
      desired: [m(A), m(B)],
      previous: [A, C],
      onlyChanges: true,
      live: [live(A, 'Created'), live(C, 'Enabled')],
    });
    expect(summary(p)).toEqual({ ...none, unchanged: [A], create: [B], disassociate: [C], delete: [C] });
  });

  test('the quota counts every member of the target when given, not only the accounts read', () => {
    const p = plan(DETECTIVE_STATUSES, { desired: [m(A)], live: [], memberCount: 1_200 });
    expect(p.peakMembers).toBe(1_201);
  });
});

describe('the removal guard', () => {
  test.each([
    [0, undefined, Infinity],
    [9, undefined, Infinity],
    [10, undefined, 3],
    [40, undefined, 10],
    [1000, undefined, 250],
    [1000, 0, 0],
    [5, 2, 2],
    [1000, 600, 600],
  ])('previously %i accounts, maxRemovals %s: at most %d removals', (previous, maxRemovals, limit) => {
    expect(removalLimit(previous, maxRemovals)).toBe(limit);
  });
});

describe('restore after a failed run', () => {
  /** By default every account is held again once the claim is back (it was the resource's before). */
  const restore = (statuses: MemberStatusModel, before: [string, PriorState][], members: LiveMember[], extra: Partial<RestoreInput> = {}) =>
    planRestore({
      statuses,
      before: new Map(before),
      live: members,
      held: new Set(before.map(([id]) => id)),
      heldElsewhere: new Set(),
      unmanaged: new Set(),
      emails: new Map([[B, 'b-declared@example.com']]),
      ...extra,
    });

  test('members the run created go; one another declaration holds stays', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, undefined], [B, undefined]], [live(A, 'Invited'), live(B, 'Invited')], { heldElsewhere: new Set([B]) });
    expect(summary(r.plan)).toEqual({ ...none, disassociate: [A], delete: [A] });
  });

  test('members the run removed come back with their recorded email; invited ones must accept again', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Enabled', email: 'a-recorded@example.com' }], [C, { status: 'Created', email: 'c@example.com' }]], []);
    expect(r.plan.additions.create).toEqual([{ accountId: A, email: 'a-recorded@example.com' }, { accountId: C, email: 'c@example.com' }]);
    expect(r.reinvited).toEqual([A]);
  });

  test('without a recorded email, the declared one is used', () => {
    const r = restore(DETECTIVE_STATUSES, [[B, { status: 'ENABLED' }]], []);
    expect(r.plan.additions.create).toEqual([{ accountId: B, email: 'b-declared@example.com' }]);
  });

  test('an email the run changed is changed back, for a member that had not accepted (the member is recreated)', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Invited', email: 'old@example.com' }]], [live(A, 'Invited', 'new@example.com')]);
    expect(summary(r.plan)).toEqual({ ...none, disassociateFirst: [A], deleteFirst: [A], create: [A] });
    expect(r.plan.additions.create[0].email).toBe('old@example.com');
    expect(r.reinvited).toEqual([A]);
  });

  test('an email the run changed stays when the member accepted since, or another declaration holds it', () => {
    const accepted = restore(GUARDDUTY_STATUSES, [[A, { status: 'Invited', email: 'old@example.com' }]], [live(A, 'Enabled', 'new@example.com')]);
    expect(summary(accepted.plan)).toEqual(none);
    expect(accepted.keptEmail).toEqual([A]);
    const elsewhere = restore(GUARDDUTY_STATUSES, [[A, { status: 'Invited', email: 'old@example.com' }]], [live(A, 'Invited', 'new@example.com')],
      { heldElsewhere: new Set([A]) });
    expect(elsewhere.keptEmail).toEqual([A]);
  });

  test('a disassociated member the run invited is disassociated again', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Removed', email: `${A}@example.com` }]], [live(A, 'Invited')]);
    expect(summary(r.plan)).toEqual({ ...none, disassociate: [A] });
  });

  test('a member that was there before is never removed to restore its status: reported instead', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Created', email: `${A}@example.com` }]], [live(A, 'Invited')]);
    expect(summary(r.plan)).toEqual(none);
    expect(r.inexact).toEqual([{ accountId: A, before: 'Created', now: 'Invited' }]);
  });

  test('unchanged accounts need nothing; an unknown email is reported', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Enabled', email: `${A}@example.com` }], [C, { status: 'Enabled' }]], [live(A, 'Enabled')]);
    expect(summary(r.plan)).toEqual(none);
    expect(r.missingEmail).toEqual([C]);
  });

  test('a restore that spans invocations: a member recreated earlier but not invited yet is invited now, and must accept again', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Invited', email: 'a@example.com' }]], [live(A, 'Created', 'a@example.com')]);
    expect(summary(r.plan)).toEqual({ ...none, invite: [A] });
    expect(r.reinvited).toEqual([A]);
  });

  test('a member an adopted declaration no longer holds, and no other either, goes with the last claim', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Enabled', email: 'a@example.com' }]], [live(A, 'Enabled')], { held: new Set() });
    expect(summary(r.plan)).toEqual({ ...none, disassociate: [A], delete: [A] });
    expect(r.released).toEqual([A]);
  });

  test('a member no declaration held before the run (adopted) is never removed, and comes back if the run removed it', () => {
    const kept = restore(GUARDDUTY_STATUSES, [[A, { status: 'Enabled', email: 'a@example.com' }]], [live(A, 'Enabled')],
      { held: new Set(), unmanaged: new Set([A]) });
    expect(summary(kept.plan)).toEqual(none);
    const back = restore(GUARDDUTY_STATUSES, [[A, { status: 'Invited', email: 'a@example.com' }]], [], { held: new Set(), unmanaged: new Set([A]) });
    expect(summary(back.plan)).toEqual({ ...none, create: [A] });
  });

  test('a member another declaration held before the run, gone since and held by nobody, is not brought back', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Enabled', email: 'a@example.com' }]], [], { held: new Set() });
    expect(summary(r.plan)).toEqual(none);
  });

  test('statuses compare case-insensitively (Security Hub has answered both)', () => {
    const r = restore(GUARDDUTY_STATUSES, [[A, { status: 'Enabled', email: 'a@example.com' }]], [live(A, 'ENABLED', 'a@example.com')]);
    expect(summary(r.plan)).toEqual(none);
    expect(r.inexact).toEqual([]);
  });
});

describe('restore of a member the run only disassociated', () => {
  test('a disassociated member whose record stayed comes back through CreateMembers (an invited one is invited again)', () => {
    const r = planRestore({
      statuses: GUARDDUTY_STATUSES,
      before: new Map<string, PriorState>([[A, { status: 'Enabled', email: 'a@example.com' }], [B, { status: 'Invited', email: 'b@example.com' }]]),
      live: [live(A, 'Removed', 'a@example.com'), live(B, 'Removed', 'b@example.com')],
      held: new Set([A, B]),
      heldElsewhere: new Set(),
      unmanaged: new Set(),
      emails: new Map(),
    });
    expect(summary(r.plan)).toEqual({ ...none, create: [A, B] });
    expect(r.reinvited).toEqual([A, B]);
  });
});

describe('restore with asynchronous associations', () => {
  test('an association under way (CREATED) is awaited, not taken for a state it cannot restore', () => {
    const r = planRestore({
      statuses: INSPECTOR_STATUSES,
      before: new Map<string, PriorState>([[A, { status: 'ENABLED' }]]),
      live: [live(A, 'CREATED')],
      held: new Set([A]),
      heldElsewhere: new Set(),
      unmanaged: new Set(),
      emails: new Map(),
    });
    expect(r.plan.awaiting).toEqual([A]);
    expect(r.inexact).toEqual([]);
    expect(summary(r.plan)).toEqual(none);
  });
});
