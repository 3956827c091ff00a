/**
 * What the next deployment of member resources would do, read-only: the declaration as the
 * handler reads it, the target's claims and live membership, and the handler's own planner and
 * rules (removal guard, quota, what other declarations hold). No module on this path imports a
 * mutating operation (test/private/plan/read-only.test.ts proves it).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Declaration, parseDeclaration } from '../declaration';
import { accountsHeldElsewhere, heldByClaim } from '../ledger/held';
import { claimAccounts, ClaimReader, LoadedClaim } from '../ledger/ledger';
import { ParameterReader } from '../ledger/store';
import { resolveOrganizationAccounts } from '../organizations';
import { AccountProblem, planMembers, quotaReason, removalGuardReason, removedAccounts, unionDeclaration } from '../planner';
import { ReconcileProperties } from '../properties';
import { ClientFactory, MemberReader } from '../services/member-service';
import { Stacks } from '../stacks';
import { DeployedResources } from './deployed';

/** One member resource of a synthesized template. */
export interface DeclaredResource {
  readonly stackName: string;
  readonly logicalId: string;
  /** The construct path (`aws:cdk:path`), when the template has it. */
  readonly constructPath?: string;
  readonly properties: ReconcileProperties;
  /** Every resource of its template, logical ID to type: what its `Ref`s may name. */
  readonly stackResourceTypes?: Readonly<Record<string, string>>;
}

/** What the next deployment would do with one member resource. */
export interface ResourcePlan {
  readonly stack: string;
  readonly logicalId: string;
  readonly constructPath?: string;
  /** Accounts CreateMembers would add (new, or recreatable records). */
  readonly create: string[];
  /** Existing members InviteMembers would invite again. */
  readonly invite: string[];
  /** Members deleted and created again for a new email. */
  readonly recreate: string[];
  /** Members the deployment would disassociate or delete. */
  readonly remove: string[];
  /** No longer declared here, but another declaration holds them: kept. */
  readonly released: string[];
  /** Declared accounts the deployment would fail on, with the reason. */
  readonly blocked: AccountProblem[];
  readonly unchanged: number;
  /** Why the whole deployment would fail before any change (removal guard, quota). */
  readonly failures: string[];
}

/** Members of a target against its claims. */
export interface Coverage {
  /** Members of the target that no claim holds (nor this plan's declarations): left alone by every deployment. */
  readonly unclaimedMembers: { readonly accountId: string; readonly status: string }[];
  /** Accounts some claim holds that are not members of the target. */
  readonly claimedNotMembers: string[];
}

/** A target's plan: one entry per member resource declaring it, and its coverage. */
export interface TargetPlan {
  readonly service: string;
  /** The detector ID, graph ARN or hub ARN; undefined when resolved at deploy time. */
  readonly target?: string;
  /** Why the target cannot be known before the deployment (a token), when it cannot. */
  readonly deferred?: string;
  readonly resources: ResourcePlan[];
  readonly coverage?: Coverage;
}

export interface PreviewContext {
  readonly clients: ClientFactory;
  readonly readers: readonly MemberReader[];
  /** The account whose credentials read: the administrator (never its own member). */
  readonly adminAccount?: string;
}

/** Property values that CloudFormation resolves at deploy time (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, ...). */
export function tokenIn(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map(tokenIn).find((t) => t !== undefined);
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    return `${keys[0]} ${JSON.stringify((value as Record<string, unknown>)[keys[0]])}`;
  }
  return Object.values(value).map(tokenIn).find((t) => t !== undefined);
}

const isChange = (plan: ResourcePlan) => plan.create.length + plan.invite.length + plan.recreate.length + plan.remove.length
  + plan.blocked.length + plan.failures.length > 0;

/** Whether a deployment would change membership (or fail trying). */
export function wouldChange(targets: readonly TargetPlan[]): boolean {
  return targets.some((t) => t.resources.some(isChange));
}

/** Plans every resource, grouped by service and target. */
export async function previewResources(resources: readonly DeclaredResource[], ctx: PreviewContext): Promise<TargetPlan[]> {
  const stacks = new Stacks(ctx.clients(CloudFormationClient));
  const deployed = new DeployedResources(ctx.clients(CloudFormationClient));
  const groups = new Map<string, { reader: MemberReader; target?: string; deferred?: string; resources: ReadResource[] }>();
  for (const synthesized of resources) {
    // A detector or graph the stack creates itself: its deployed ID, once it is deployed.
    const properties = await deployed.resolveDeclaration(synthesized.properties, synthesized.stackName, synthesized.stackResourceTypes ?? {});
    const resource = { ...synthesized, properties };
    const settings = parseDeclaration(resource.properties, ctx.adminAccount, true, ctx.readers);
    const reader = settings.service;
    const token = tokenIn({ ...resource.properties, ServiceToken: undefined });
    let target: string | undefined;
    let deferred: string | undefined;
    if (token) {
      deferred = `${resource.logicalId} in ${resource.stackName}: ${token} is resolved at deploy time`;
    } else {
      target = await reader.resolveTarget(resource.properties, ctx.clients);
    }
    const key = `${reader.definition.name}|${target ?? `deferred:${resource.stackName}/${resource.logicalId}`}`;
    const group = groups.get(key) ?? { reader, target, deferred, resources: [] };
    group.resources.push({ resource, settings });
    groups.set(key, group);
  }
  const plans: TargetPlan[] = [];
  for (const group of groups.values()) {
    if (group.target === undefined) {
      plans.push({ service: group.reader.definition.name, deferred: group.deferred, resources: [] });
      continue;
    }
    plans.push(await previewTarget(group.reader, group.target, group.resources, stacks, ctx));
  }
  return plans;
}

/** A resource and its declaration as the handler reads it. */
interface ReadResource {
  readonly resource: DeclaredResource;
  readonly settings: Declaration<MemberReader>;
}

async function previewTarget(reader: MemberReader, target: string, resources: readonly ReadResource[], stacks: Stacks,
  ctx: PreviewContext): Promise<TargetPlan> {
  const { definition } = reader;
  const ledger = new ClaimReader(new ParameterReader(ctx.clients(SSMClient)), definition.iamPrefix, definition.ledgerId(target));
  const reads = reader.memberReads(ctx.clients, target);
  const [{ claims }, members] = await Promise.all([ledger.load(), reads.listMembers()]);
  const live = new Map(members.map((m) => [m.accountId, m]));
  const resolveUnits = (units: readonly string[], exclude: readonly string[] = []) =>
    resolveOrganizationAccounts(ctx.clients(OrganizationsClient), units, { exclude, adminAccount: ctx.adminAccount, service: definition.name });

  const planned: ResourcePlan[] = [];
  const declaredHere = new Set<string>();
  for (const { resource, settings } of resources) {
    const organization = settings.organizationalUnits.length > 0
      ? (await resolveUnits(settings.organizationalUnits, settings.excludeAccounts)).accounts
      : new Map<string, string>();
    const { desired } = unionDeclaration(settings.members, organization);
    desired.forEach((m) => declaredHere.add(m.accountId));
    // The stack as deployed (its claim is named by stack name and logical ID); none yet for a new stack.
    const stackId = await stacks.stackIdOf(resource.stackName);
    const path = ledger.claimPathOf(resource.stackName, resource.logicalId);
    const own = claims.find((claim) => claim.path === path);
    const others = claims.filter((claim) => claim !== own);
    const previous = claimAccounts(own);
    const desiredIds = new Set(desired.map((m) => m.accountId));
    const candidates = new Set(previous.filter((id) => !desiredIds.has(id)));
    const { held } = await accountsHeldElsewhere({
      candidates,
      siblingAccounts: settings.siblingAccounts,
      siblingUnits: settings.siblingUnits,
      resolveUnits: async ({ units, exclude }) => new Set((await resolveUnits(units, exclude)).accounts.keys()),
      others,
      stackId: stackId ?? '',
      stackGone: (id) => stacks.gone(id),
    });
    const plan = planMembers({
      statuses: reads.statuses,
      desired,
      previous,
      live: members,
      protected: held,
      memberCount: members.length,
      invite: settings.invite,
      removal: settings.removal,
    });
    const removing = removedAccounts(plan.removals);
    const recreate = new Set(plan.additions.delete);
    const failures = [
      removalGuardReason(definition.name, definition.target.noun, removing.length, previous.length, settings.maxRemovals),
      quotaReason(definition.name, plan, members.length),
    ].filter((reason): reason is string => reason !== undefined);
    planned.push({
      stack: resource.stackName,
      logicalId: resource.logicalId,
      constructPath: resource.constructPath,
      create: plan.additions.create.map((m) => m.accountId).filter((id) => !recreate.has(id)),
      invite: plan.additions.invite,
      recreate: [...recreate],
      remove: removing,
      released: plan.released,
      blocked: plan.blocked,
      unchanged: plan.unchanged.length,
      failures,
    });
  }

  const claimed = new Set<string>(claims.flatMap((claim: LoadedClaim) => [...heldByClaim(claim)]));
  const gone = reads.statuses.keepsDisassociated ? new Set(reads.statuses.recreatable) : new Set<string>();
  return {
    service: definition.name,
    target,
    resources: planned,
    coverage: {
      unclaimedMembers: members
        .filter((m) => !claimed.has(m.accountId) && !declaredHere.has(m.accountId) && !gone.has(m.status))
        .map((m) => ({ accountId: m.accountId, status: m.status }))
        .sort((a, b) => a.accountId.localeCompare(b.accountId)),
      claimedNotMembers: [...claimed].filter((id) => !live.has(id) || gone.has(live.get(id)!.status)).sort(),
    },
  };
}
