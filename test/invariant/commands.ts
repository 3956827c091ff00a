/**
 * The steps a random sequence is made of (fast-check commands): deploy a declaration (with the
 * deployment failing through another resource, cancelled while a member resource still runs, or
 * left failed by --no-rollback), rollback-stack, delete a stack, fire a sync, move an account
 * between OUs, add a member by hand, and "every declaration runs again". Each runs against the
 * real system, updates the model from what happened, and checks the invariants.
 */
import * as fc from 'fast-check';
import {
  checkInvariants, checkSettled, ConstructDecl, DECLARABLE, isDeploymentFailure, LOGICAL_IDS, Model, ORGANIZATION, OUTSIDE, Real, realStack,
  snapshot, StackDecl, StackName, STACKS, template, Unit, UNITS,
} from './model';
import { InvariantService } from './services';

type Command = fc.AsyncCommand<Model, Real>;

/** How the deployment ends. */
export type Failure = { readonly kind: 'none' | 'after' | 'no-rollback' } | { readonly kind: 'cancel'; readonly afterCalls: number };

/** `o4` for an organization account, `x1` for one outside it. */
const short = (account: string) => `${ORGANIZATION.includes(account) ? 'o' : 'x'}${Number(account.slice(-2))}`;
const describeDecl = (decl: StackDecl) => Object.entries(decl)
  .map(([id, c]) => `${id}[${c.members.map(short).join(',')}${c.unit ? ` ${c.unit}` : ''}${c.plans ? ' plans' : ''}]`).join(' ');

export class Deploy implements Command {
  constructor(readonly stack: StackName, readonly decl: StackDecl, readonly failure: Failure) {}

  check(m: Readonly<Model>): boolean {
    const status = m.stacks.get(this.stack)!.status;
    return (status === 'none' || status === 'stable') && !(this.failure.kind === 'no-rollback' && status === 'none');
  }

  async run(m: Model, r: Real): Promise<void> {
    const before = snapshot(r);
    const model = m.stacks.get(this.stack)!;
    const creating = model.status === 'none';
    const failure = this.failure;
    let failed = false;
    try {
      await realStack(r, this.stack).deploy(template(r, this.decl), {
        anotherResourceFails: failure.kind === 'after' || failure.kind === 'no-rollback',
        noRollback: failure.kind === 'no-rollback',
        cancelDuring: failure.kind === 'cancel' ? { logicalId: Object.keys(this.decl)[0], afterCalls: failure.afterCalls } : undefined,
      });
    } catch (err) {
      if (!isDeploymentFailure(err)) throw err;
      failed = true;
      if (failure.kind === 'none') throw new Error(`the deployment failed, though nothing made it fail: ${err.message}`);
    }
    if (!failed) {
      if (failure.kind === 'after' || failure.kind === 'no-rollback') throw new Error('the deployment succeeded, though another resource failed');
      model.status = 'stable';
      model.decl = this.decl;
      Object.entries(this.decl).forEach(([id, c]) => m.ran(`${this.stack}/${id}`, c));
      m.disturb(this.stack);
    } else if (failure.kind === 'no-rollback') {
      model.status = 'failed';
      model.beforeFailure = { snapshot: before, disturbed: false };
      model.failedDecl = this.decl;
      m.disturb(this.stack);
    } else {
      if (creating) model.status = 'dead';
      // 4: a rollback leaves membership exactly as it was.
      expectSame(snapshot(r), before, 'after the rollback');
    }
    await checkInvariants(m, r);
  }

  toString(): string {
    return `deploy ${this.stack} ${describeDecl(this.decl)}${this.failure.kind === 'none' ? '' : ` (${this.failure.kind === 'cancel' ? `cancelled after ${this.failure.afterCalls}` : this.failure.kind})`}`;
  }
}

function expectSame(now: Record<string, string>, before: Record<string, string>, when: string): void {
  const keys = [...new Set([...Object.keys(now), ...Object.keys(before)])].sort();
  const differ = keys.filter((k) => now[k] !== before[k]).map((k) => `${k}: ${before[k] ?? '-'} -> ${now[k] ?? '-'}`);
  if (differ.length > 0) throw new Error(`4: membership ${when} is not as before:\n${differ.join('\n')}`);
}

export class RollbackStack implements Command {
  constructor(readonly stack: StackName) {}

  check(m: Readonly<Model>): boolean {
    return m.stacks.get(this.stack)!.status === 'failed';
  }

  async run(m: Model, r: Real): Promise<void> {
    const model = m.stacks.get(this.stack)!;
    await realStack(r, this.stack).rollbackStack();
    if (!model.beforeFailure!.disturbed) expectSame(snapshot(r), model.beforeFailure!.snapshot, 'after rollback-stack');
    model.status = 'stable';
    model.beforeFailure = undefined;
    model.failedDecl = undefined;
    m.disturb(this.stack);
    await checkInvariants(m, r);
  }

  toString(): string {
    return `rollback-stack ${this.stack}`;
  }
}

export class DeleteStack implements Command {
  constructor(readonly stack: StackName) {}

  check(m: Readonly<Model>): boolean {
    return m.stacks.get(this.stack)!.status !== 'none';
  }

  async run(m: Model, r: Real): Promise<void> {
    // A deployment left failed may have adopted what it declared (its resources that ran did):
    // deleting the stack removes what they hold, as for any declaration.
    const failed = m.stacks.get(this.stack)!.failedDecl ?? {};
    Object.values(failed).forEach((c) => [...c.members, ...m.unitHolds(c.unit)].forEach((id) => m.unmanaged.delete(id)));
    await realStack(r, this.stack).delete();
    r.stacks.delete(this.stack);
    m.stacks.set(this.stack, { status: 'none' });
    LOGICAL_IDS.forEach((id) => m.lastRun.delete(`${this.stack}/${id}`));
    m.disturb();
    await checkInvariants(m, r);
  }

  toString(): string {
    return `delete ${this.stack}`;
  }
}

/** A sync of one construct (its schedule fired). */
export class Sync implements Command {
  constructor(readonly stack: StackName, readonly logicalId: string) {}

  check(m: Readonly<Model>): boolean {
    const s = m.stacks.get(this.stack)!;
    return s.status === 'stable' && s.decl?.[this.logicalId] !== undefined;
  }

  async run(m: Model, r: Real): Promise<void> {
    await sync(m, r, this.stack, this.logicalId);
    await checkInvariants(m, r);
  }

  toString(): string {
    return `sync ${this.stack}/${this.logicalId}`;
  }
}

async function sync(m: Model, r: Real, stack: StackName, logicalId: string): Promise<void> {
  const real = realStack(r, stack);
  const out = await r.world.cfn.framework.invoke({
    CdkSecurityMembersSync: { Service: r.service.name, Target: r.service.target(r.world.endpoint), StackId: real.stackId, LogicalId: logicalId },
  });
  if (out.outcome !== 'synced' && out.outcome !== 'unfinished') throw new Error(`the sync of ${stack}/${logicalId} did not run: ${JSON.stringify(out)}`);
  // Out of time, the sync leaves the rest (plans included) to the next run of the declaration.
  m.ran(`${stack}/${logicalId}`, m.stacks.get(stack)!.decl![logicalId], out.outcome === 'synced');
  m.disturb();
}

/** Every live declaration runs again (two passes): then membership is exactly what they hold now. */
export class SettleAll implements Command {
  check(m: Readonly<Model>): boolean {
    return m.settled();
  }

  async run(m: Model, r: Real): Promise<void> {
    for (let pass = 0; pass < 2; pass++) {
      for (const { key } of m.liveConstructs()) {
        const [stack, logicalId] = key.split('/') as [StackName, string];
        await sync(m, r, stack, logicalId);
      }
    }
    await checkInvariants(m, r);
    checkSettled(m, r);
  }

  toString(): string {
    return 'every declaration runs again';
  }
}

export class Move implements Command {
  constructor(readonly account: string, readonly unit: Unit) {}

  check(m: Readonly<Model>): boolean {
    return m.location.get(this.account) !== this.unit;
  }

  async run(m: Model, r: Real): Promise<void> {
    r.world.endpoint.organizations.moveAccount(this.account, r.units[this.unit]);
    m.location.set(this.account, this.unit);
    await checkInvariants(m, r);
  }

  toString(): string {
    return `move ${short(this.account)} to ${this.unit}`;
  }
}

/** A member added by hand, for an account no declaration holds. */
export class AddUnmanaged implements Command {
  constructor(readonly account: string) {}

  check(m: Readonly<Model>): boolean {
    return !m.heldNow().has(this.account) && !m.unmanaged.has(this.account);
  }

  async run(m: Model, r: Real): Promise<void> {
    const organization = ORGANIZATION.includes(this.account);
    // Still a member through a declaration's last run: not unmanaged. Inspector has no member outside the organization.
    if (r.service.members(r.world.endpoint).has(this.account) || (!organization && !r.service.invites)) return;
    m.unmanaged.set(this.account, r.service.addByHand(r.world.endpoint, this.account, organization));
    await checkInvariants(m, r);
  }

  toString(): string {
    return `add ${short(this.account)} by hand`;
  }
}

const ALL = [...ORGANIZATION, ...OUTSIDE];

/**
 * A stack's declaration: one to three constructs, each with a few static accounts of `accounts`
 * and maybe an OU; no account twice in a stack, no OU twice.
 */
const declarationOf = (accounts: readonly string[]): fc.Arbitrary<StackDecl> => fc
  .uniqueArray(fc.constantFrom(...LOGICAL_IDS), { minLength: 1, maxLength: 3 })
  .chain((ids) => fc.tuple(
    fc.constant(ids),
    fc.array(fc.uniqueArray(fc.constantFrom(...accounts), { maxLength: 3 }), { minLength: ids.length, maxLength: ids.length }),
    fc.array(fc.option(fc.constantFrom(...DECLARABLE), { nil: undefined }), { minLength: ids.length, maxLength: ids.length }),
    fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
  ))
  .map(([ids, members, units, plans]) => {
    const taken = new Set<string>();
    const usedUnits = new Set<Unit>();
    const decl: Record<string, ConstructDecl> = {};
    ids.forEach((id, i) => {
      const own = members[i].filter((a) => !taken.has(a));
      own.forEach((a) => taken.add(a));
      const unit = units[i] && !usedUnits.has(units[i]!) ? units[i] : undefined;
      if (unit) usedUnits.add(unit);
      decl[id] = { members: own, unit, plans: plans[i] || undefined };
    });
    return decl;
  });

const failure: fc.Arbitrary<Failure> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'after' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'no-rollback' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((afterCalls) => ({ kind: 'cancel' as const, afterCalls })) },
);

/** The steps of a sequence against `service`: declarations of the accounts it can hold. */
function stepsOf(service: InvariantService): fc.Arbitrary<Command>[] {
  const accounts = service.invites ? ALL : ORGANIZATION;
  const deploy = fc.tuple(fc.constantFrom(...STACKS), declarationOf(accounts), failure).map(([s, d, f]) => new Deploy(s, d, f));
  return [
  // Deployments are most of what happens (fc.commands picks the steps alike).
    deploy, deploy, deploy, deploy,
    fc.constantFrom(...STACKS).map((s) => new RollbackStack(s)),
    fc.constantFrom(...STACKS).map((s) => new DeleteStack(s)),
    fc.tuple(fc.constantFrom(...STACKS), fc.constantFrom(...LOGICAL_IDS)).map(([s, id]) => new Sync(s, id)),
    fc.tuple(fc.constantFrom(...STACKS), fc.constantFrom(...LOGICAL_IDS)).map(([s, id]) => new Sync(s, id)),
    fc.constant(new SettleAll()),
    fc.tuple(fc.constantFrom(...ORGANIZATION), fc.constantFrom(...UNITS)).map(([a, u]) => new Move(a, u)),
    fc.constantFrom(...accounts).map((a) => new AddUnmanaged(a)),
  ];
}

/** Steps run so far in this process (a sequence that never ran anything would prove nothing). */
export const stepsRun = { count: 0 };

/** Random sequences of steps against `service`. */
export function commandsFor(service: InvariantService): fc.Arbitrary<Iterable<Command>> {
  return fc.commands(stepsOf(service).map((arb) => arb.map((command) => counted(command))), { maxCommands: 16, size: 'large' });
}

function counted(command: Command): Command {
  return {
    check: (m) => command.check(m),
    run: async (m, r) => {
      stepsRun.count++;
      await command.run(m, r);
    },
    toString: () => command.toString(),
  };
}
