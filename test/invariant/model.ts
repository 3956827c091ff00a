/**
 * The ownership invariant as a model (test code): what each declaration holds, and the six
 * invariants of the contract ("Version 3") checked against the real system, one target (a
 * GuardDuty detector, Inspector's or Macie's administrator, see services.ts) behind the local
 * endpoint, driven through the bundled handler by the simulated CloudFormation.
 *
 * The world: two stacks on one target, organization accounts in three OUs (`Three` is declared
 * by nobody: an account moved there has left every declaration), accounts outside the
 * organization (invited, where the service invites), and members added by hand (unmanaged).
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { InvariantService, Member } from './services';
import { isUnfinished, journalPrevious } from '../../src/private/ledger/held';
import { claimAccounts, ClaimReader } from '../../src/private/ledger/ledger';
import { ParameterReader } from '../../src/private/ledger/store';
import { DeploymentFailed, SimulatedStack } from '../endpoint/cloudformation-driver';
import { Declared, ledgerParameters, memberTemplate, World } from '../endpoint/harness';

export const ORGANIZATION = ['200000000001', '200000000002', '200000000003', '200000000004', '200000000005', '200000000006'];
export const OUTSIDE = ['300000000001', '300000000002', '300000000003', '300000000004'];
export const UNITS = ['One', 'Two', 'Three'] as const;
export type Unit = typeof UNITS[number];
/** Units a construct may declare. */
export const DECLARABLE: readonly Unit[] = ['One', 'Two'];
export const STACKS = ['S1', 'S2'] as const;
export type StackName = typeof STACKS[number];
export const LOGICAL_IDS = ['A', 'B', 'C'] as const;

export interface ConstructDecl {
  readonly members: readonly string[];
  readonly unit?: Unit;
  /**
   * The construct manages per-account settings: GuardDuty's S3 Protection, off (organization
   * auto-enable turns it on); Inspector's EC2 scanning, on.
   */
  readonly plans?: boolean;
}

export type StackDecl = Readonly<Record<string, ConstructDecl>>;
export type Snapshot = Record<string, string>;

export interface StackModel {
  /** none: not deployed; stable: `*_COMPLETE`; failed: UPDATE_FAILED (--no-rollback); dead: a failed creation, only deletable. */
  status: 'none' | 'stable' | 'failed' | 'dead';
  decl?: StackDecl;
  /** While failed: membership before the failed deployment, and whether another run changed anything since. */
  beforeFailure?: { snapshot: Snapshot; disturbed: boolean };
  /** While failed: the declaration the failed deployment was bringing (it acted on it before failing). */
  failedDecl?: StackDecl;
}

/** What the model knows. */
export class Model {
  readonly stacks = new Map<StackName, StackModel>(STACKS.map((s) => [s, { status: 'none' }]));
  /** Where each organization account is. */
  readonly location = new Map<string, Unit>();
  /** Members added by hand that no declaration held, as they were added. */
  readonly unmanaged = new Map<string, Member>();
  /** Per construct (`S1/A`): the accounts its OU held at its last successful run. */
  readonly lastRun = new Map<string, Set<string>>();
  /** Constructs whose last run was a sync out of time: their plans are the next run's to apply. */
  readonly plansLeft = new Set<string>();

  constructor() {
    ORGANIZATION.forEach((id, i) => this.location.set(id, UNITS[i % 3]));
  }

  /** Constructs of stacks whose declarations are live (stable stacks). */
  liveConstructs(): { key: string; decl: ConstructDecl }[] {
    return [...this.stacks].filter(([, s]) => s.status === 'stable' && s.decl)
      .flatMap(([name, s]) => Object.entries(s.decl!).map(([id, decl]) => ({ key: `${name}/${id}`, decl })));
  }

  unitHolds(unit: Unit | undefined): string[] {
    return unit ? ORGANIZATION.filter((id) => this.location.get(id) === unit) : [];
  }

  /** Accounts a live declaration holds now (static, or in its OU now). */
  heldNow(): Set<string> {
    return new Set(this.liveConstructs().flatMap(({ decl }) => [...decl.members, ...this.unitHolds(decl.unit)]));
  }

  /** A construct ran: its OU's accounts as of now are what it acted on; what it holds is no longer unmanaged. */
  ran(key: string, decl: ConstructDecl, complete = true): void {
    if (complete) this.plansLeft.delete(key);
    else this.plansLeft.add(key);
    const held = this.unitHolds(decl.unit);
    this.lastRun.set(key, new Set(held));
    [...decl.members, ...held].forEach((id) => this.unmanaged.delete(id));
  }

  /** Some other run changed membership: a failed deployment's "before" no longer describes it. */
  disturb(except?: StackName): void {
    for (const [name, s] of this.stacks) if (name !== except && s.beforeFailure) s.beforeFailure.disturbed = true;
  }

  settled(): boolean {
    return [...this.stacks.values()].every((s) => s.status === 'none' || s.status === 'stable');
  }
}

/** The real system: the service under test, the world, the OU IDs, and a simulated stack per name. */
export interface Real {
  readonly service: InvariantService;
  readonly world: World;
  readonly units: Record<Unit, string>;
  readonly stacks: Map<StackName, SimulatedStack>;
}

export function realStack(r: Real, name: StackName): SimulatedStack {
  let stack = r.stacks.get(name);
  if (!stack) {
    stack = r.world.cfn.stack(name);
    r.stacks.set(name, stack);
  }
  return stack;
}

export function template(r: Real, decl: StackDecl) {
  const constructs: Record<string, Declared> = {};
  for (const [id, c] of Object.entries(decl)) {
    constructs[id] = {
      members: c.members,
      organizationalUnits: c.unit ? [r.units[c.unit]] : undefined,
      maxRemovals: 1000,
      ...(c.plans && r.service.settings ? r.service.settingsProps() : {}),
    };
  }
  return memberTemplate(r.world.endpoint, r.service.name, constructs);
}

/** Accounts, statuses, recorded emails and, for members associated with the target, the managed plan's status (GuardDuty). */
export function snapshot(r: Real): Snapshot {
  const { service, world: { endpoint } } = r;
  return Object.fromEntries([...service.members(endpoint)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, m]) => [id, `${m.status} ${m.email}${service.restoredSettings(endpoint, id, m)}`]));
}

/** The status a declaration wants an account in: organization accounts enabled, the others invited. */
export function wanted(r: Real, id: string): string[] {
  return r.service.wanted(ORGANIZATION.includes(id));
}

/**
 * Every account some claim of the ledger holds now, and what unfinished runs had yet to remove
 * (a sync out of time leaves that to the next run): members the library may still hold.
 */
async function claimed(r: Real): Promise<Set<string>> {
  const held = new Set<string>();
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: r.world.endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  // The checker reads the ledger as it is: the faults are the handler's to meet, not the checker's
  // (the endpoint still draws its dice, so a recorded seed replays the same faults).
  const faults = r.world.endpoint.faults;
  r.world.endpoint.faults = {};
  try {
    const reader = new ClaimReader(new ParameterReader(ssm), r.service.ledgerService, r.service.target(r.world.endpoint));
    for (const claim of (await reader.load()).claims) {
      claimAccounts(claim).forEach((id) => held.add(id));
      if (isUnfinished(claim.journal)) journalPrevious(claim, claim.journal.record).forEach((id) => held.add(id));
    }
  } finally {
    r.world.endpoint.faults = faults;
    ssm.destroy();
  }
  return held;
}

/** Invariants 1, 2, 3, 5 and 6, after any settled step; 4 is checked by the commands that roll back. */
export async function checkInvariants(m: Model, r: Real): Promise<void> {
  const members: Map<string, Member> = r.service.members(r.world.endpoint);
  const problems: string[] = [];
  // 5: no run left anything that blocks the target.
  if (ledgerParameters(r.world.endpoint).some((n) => n.endsWith('/lock') || n.includes('/lock-takeover/'))) problems.push('a lock is left');
  // 6: nothing of the library is left once no stack declares anything.
  if ([...m.stacks.values()].every((s) => s.status === 'none') && ledgerParameters(r.world.endpoint).length > 0) {
    problems.push(`parameters left after every stack was deleted: ${ledgerParameters(r.world.endpoint).join(', ')}`);
  }
  if (m.settled()) {
    // 1: what each live declaration held when it last ran is a member, in a state it wants.
    for (const { key, decl } of m.liveConstructs()) {
      for (const id of [...decl.members, ...(m.lastRun.get(key) ?? [])]) {
        const member = members.get(id);
        if (!member || !wanted(r, id).includes(member.status)) problems.push(`1: ${key} holds ${id}, which is ${member?.status ?? 'not a member'}`);
        // Its settings too, once the member is associated (unless a sync out of time left them to the next run).
        const checked = decl.plans && r.service.settings && !m.plansLeft.has(key);
        const wrong = member && checked ? r.service.settingsProblem(r.world.endpoint, id, member) : undefined;
        if (wrong) problems.push(`1: ${key} declares settings for ${id}, which has ${wrong}`);
      }
    }
    // 2: every member is unmanaged or held by a live declaration (now, at its last run, or in its claim until it runs again).
    const lastRun = new Set(m.liveConstructs().flatMap(({ key }) => [...(m.lastRun.get(key) ?? [])]));
    const allowed = new Set([...m.unmanaged.keys(), ...m.heldNow(), ...lastRun, ...await claimed(r)]);
    for (const id of members.keys()) if (!allowed.has(id)) problems.push(`2: ${id} is a member that no declaration holds`);
  }
  // 3: unmanaged members are untouched (but by a declaration that adopts them: a failed deployment's is one until its rollback).
  const pending = new Set([...m.stacks.values()]
    .flatMap((s) => Object.values(s.failedDecl ?? {}).flatMap((c) => [...c.members, ...m.unitHolds(c.unit)])));
  for (const [id, before] of m.unmanaged) {
    if (pending.has(id)) continue;
    const now = members.get(id);
    if (!now || now.status !== before.status || now.email !== before.email) problems.push(`3: unmanaged ${id} changed to ${now?.status ?? 'gone'}`);
  }
  if (problems.length > 0) throw new Error(`invariants broken:\n${problems.join('\n')}`);
}

/**
 * After every live declaration has run again (two passes of syncs), membership is exactly what
 * the declarations hold now, plus the unmanaged members.
 */
export function checkSettled(m: Model, r: Real): void {
  const expected = new Set([...m.heldNow(), ...m.unmanaged.keys()]);
  const members = r.service.members(r.world.endpoint);
  const extra = [...members.keys()].filter((id) => !expected.has(id));
  const missing = [...m.heldNow()].filter((id) => !members.has(id) || !wanted(r, id).includes(members.get(id)!.status));
  if (extra.length + missing.length > 0) {
    throw new Error(`after every declaration ran again: members no declaration holds ${extra.join(', ') || '-'}; held but not members ${missing.join(', ') || '-'}`);
  }
}

export function isDeploymentFailure(err: unknown): err is DeploymentFailed {
  return err instanceof DeploymentFailed;
}
