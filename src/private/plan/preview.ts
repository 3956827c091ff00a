/**
 * What the next deployment of member resources would do, read-only: the declaration as the
 * handler reads it, the target's claims and live membership, and the handler's own planner and
 * rules (removal guard, quota, what other declarations hold). Member resources the deployed stack
 * has and the template no longer has are planned as the deletions the deployment makes; a target
 * the deployment creates (a token) is planned as an empty one. No module on this path imports a
 * mutating operation (test/private/plan/read-only.test.ts proves it).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DeployedResources } from './deployed';
import { planDeferred, previewTarget, ReadResource, RemovedResource } from './target-plan';
import { parseDeclaration } from '../declaration';
import { AccountProblem } from '../planner';
import { ReconcileProperties } from '../properties';
import { ClientFactory, MemberReader } from '../services/member-service';
import { Stacks } from '../stacks';

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
  /** The resource left the app: the deployment deletes it (its claim's accounts leave, under the removal guard). */
  readonly deleted?: boolean;
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
  /**
   * Declared accounts whose association is still under way (Inspector's is asynchronous): the
   * deployment awaits them, asking nothing again. Absent when there are none.
   */
  readonly awaiting?: string[];
  /** Why the whole deployment would fail before any change (removal guard, quota). */
  readonly failures: string[];
  /** Settings the deployment would change (GuardDuty: protection plans; Inspector: scan types), per account. */
  readonly planChanges?: PlanChange[];
  /** Declared members whose settings wait until they are associated (invited accounts until they accept). */
  readonly plansPending?: string[];
}

/** One setting of one account the deployment would change. */
export interface PlanChange {
  readonly accountId: string;
  readonly plan: string;
  /** Its status now (`absent` when the service does not report it). */
  readonly from: string;
  readonly to: string;
}

/** A claim whose resource left its stack while the stack went on (its Delete was refused): its members stay until released. */
export interface OrphanedClaim {
  readonly stack: string;
  readonly logicalId: string;
  readonly accounts: number;
}

/** Members of a target against its claims. */
export interface Coverage {
  /** Members of the target that no claim holds (nor this plan's declarations): left alone by every deployment. */
  readonly unclaimedMembers: { readonly accountId: string; readonly status: string }[];
  /** Accounts some claim holds that are not members of the target. */
  readonly claimedNotMembers: string[];
  /** Claims of resources that are no longer in their (live) stack. */
  readonly orphanedClaims: OrphanedClaim[];
}

/** A target's plan: one entry per member resource declaring it, and its coverage. */
export interface TargetPlan {
  readonly service: string;
  /** The detector ID, graph ARN or hub ARN; undefined when resolved at deploy time. */
  readonly target?: string;
  /** Why the target cannot be known before the deployment (a token); its resources are planned as on a new, empty target. */
  readonly deferred?: string;
  readonly resources: ResourcePlan[];
  readonly coverage?: Coverage;
  /** What one of the service's per-account settings is called (`protection plan`, `scan type`), when it has any. */
  readonly settingsNoun?: string;
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

const isChange = (plan: ResourcePlan) => plan.deleted === true || plan.create.length + plan.invite.length + plan.recreate.length
  + plan.remove.length + plan.blocked.length + plan.failures.length + (plan.planChanges?.length ?? 0) + (plan.awaiting?.length ?? 0) > 0;

/** Whether a deployment would change membership (or fail trying). */
export function wouldChange(targets: readonly TargetPlan[]): boolean {
  return targets.some((t) => t.resources.some(isChange));
}

interface Group {
  readonly reader: MemberReader;
  readonly target?: string;
  readonly deferred?: string;
  readonly resources: ReadResource[];
  readonly removed: RemovedResource[];
}

/**
 * Plans every resource, grouped by service and target. `stackNames` are the stacks the plan
 * covers (those without member resources too): their deployed member resources that the
 * templates no longer have are planned as deletions.
 */
export async function previewResources(resources: readonly DeclaredResource[], ctx: PreviewContext,
  stackNames: readonly string[] = [...new Set(resources.map((r) => r.stackName))]): Promise<TargetPlan[]> {
  const deployed = new DeployedResources(ctx.clients(CloudFormationClient));
  const groups = new Map<string, Group>();
  const group = (reader: MemberReader, target: string | undefined, key: string, deferred?: string) => {
    const found = groups.get(key) ?? { reader, target, deferred, resources: [], removed: [] };
    groups.set(key, found);
    return found;
  };
  for (const synthesized of resources) {
    // A detector or graph the stack creates itself: its deployed ID, once it is deployed.
    const properties = await deployed.resolveDeclaration(synthesized.properties, synthesized.stackName, synthesized.stackResourceTypes ?? {});
    const declaration = parseDeclaration(properties, ctx.adminAccount, true, ctx.readers);
    const reader = declaration.service;
    const token = tokenIn({ ...properties, ServiceToken: undefined });
    const target = token ? undefined : await reader.resolveTarget(properties, ctx.clients);
    const key = `${reader.definition.name}|${target ?? `deferred:${synthesized.stackName}/${synthesized.logicalId}`}`;
    const deferred = token && `${synthesized.logicalId} in ${synthesized.stackName}: ${token} is resolved at deploy time (a new target has no members yet)`;
    group(reader, target, key, deferred).resources.push({ resource: { ...synthesized, properties }, declaration });
  }
  await addRemovedResources(stackNames, resources, ctx, deployed, group);
  const stacks = new Stacks(ctx.clients(CloudFormationClient));
  const plans: TargetPlan[] = [];
  for (const g of groups.values()) {
    plans.push(g.target === undefined
      ? await planDeferred(g.reader, g.deferred!, g.resources, ctx)
      : await previewTarget(g.reader, g.target, { resources: g.resources, removed: g.removed }, stacks, deployed, ctx));
  }
  return plans;
}

/** The deployed member resources the templates no longer have: the deployment deletes them. */
async function addRemovedResources(stackNames: readonly string[], resources: readonly DeclaredResource[], ctx: PreviewContext,
  deployed: DeployedResources, group: (reader: MemberReader, target: string, key: string) => Group): Promise<void> {
  const byType = new Map(ctx.readers.map((reader) => [reader.definition.resourceType, reader]));
  for (const stackName of stackNames) {
    const synthesized = new Set(resources.filter((r) => r.stackName === stackName).map((r) => r.logicalId));
    for (const live of await deployed.stackResources(stackName)) {
      const reader = byType.get(live.type);
      if (!reader || synthesized.has(live.logicalId) || !live.physicalId || !reader.isTarget(live.physicalId)) continue;
      group(reader, live.physicalId, `${reader.definition.name}|${live.physicalId}`).removed.push({ stackName, logicalId: live.logicalId });
    }
  }
}
