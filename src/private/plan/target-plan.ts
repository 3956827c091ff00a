/**
 * The plan of one target: every member resource that declares it (as the handler's forward run
 * would plan it), every deployed one that leaves the app (as its Delete would), and the target's
 * coverage. Read-only.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DeployedResources } from './deployed';
import type { Coverage, DeclaredResource, OrphanedClaim, PlanChange, PreviewContext, ResourcePlan, TargetPlan } from './preview';
import { Declaration } from '../declaration';
import { chunk } from '../engine';
import { readAttributed, settingsChange } from '../execution/settings';
import { decodeAccounts } from '../ledger/codec';
import { accountsHeldElsewhere, heldByClaim, isUnfinished, journalPrevious, UnitDeclaration } from '../ledger/held';
import { claimAccounts, ClaimReader, LoadedClaim } from '../ledger/ledger';
import { ParameterReader } from '../ledger/store';
import { resolveOrganizationAccounts } from '../organizations';
import { AccountProblem, LiveMember, planDeletion, planMembers, quotaReason, removalGuardReason, removedAccounts, unionDeclaration } from '../planner';
import { MemberReader } from '../services/member-service';
import { Stacks } from '../stacks';

/** A synthesized resource and its declaration as the handler reads it. */
export interface ReadResource {
  readonly resource: DeclaredResource;
  readonly declaration: Declaration<MemberReader>;
}

/** A deployed member resource that the templates no longer have. */
export interface RemovedResource {
  readonly stackName: string;
  readonly logicalId: string;
}

/** What planning one target reads once. */
interface TargetReads {
  readonly reader: MemberReader;
  readonly target: string;
  readonly ledger: ClaimReader;
  readonly claims: readonly LoadedClaim[];
  readonly members: readonly LiveMember[];
  readonly stacks: Stacks;
  readonly ctx: PreviewContext;
  readonly resolveUnits: (declaration: UnitDeclaration) => Promise<Map<string, string>>;
}

function unitResolver(reader: MemberReader, ctx: PreviewContext): TargetReads['resolveUnits'] {
  return async ({ units, exclude }) => (await resolveOrganizationAccounts(ctx.clients(OrganizationsClient), units,
    { exclude, adminAccount: ctx.adminAccount, service: reader.definition.name })).accounts;
}

/** The declared members: static ones and the organizational units' accounts. */
async function declaredMembers(reads: Pick<TargetReads, 'resolveUnits'>, declaration: Declaration<MemberReader>) {
  const organization = declaration.organizationalUnits.length > 0
    ? await reads.resolveUnits({ units: declaration.organizationalUnits, exclude: declaration.excludeAccounts })
    : new Map<string, string>();
  return unionDeclaration(declaration.members, organization).desired;
}

/** The candidates another live declaration holds (never removed). */
async function heldElsewhere(reads: TargetReads, candidates: ReadonlySet<string>, own: LoadedClaim | undefined, stackId: string | undefined,
  siblings: { accounts: readonly string[]; units: readonly UnitDeclaration[] }): Promise<Set<string>> {
  const { held } = await accountsHeldElsewhere({
    candidates,
    siblingAccounts: siblings.accounts,
    siblingUnits: siblings.units,
    resolveUnits: async (declaration) => new Set((await reads.resolveUnits(declaration)).keys()),
    others: reads.claims.filter((claim) => claim !== own),
    stackId: stackId ?? '',
    stackGone: (id) => reads.stacks.gone(id),
  });
  return held;
}

/** What a claim holds for its resource's next run: its accounts, and what an unfinished run of it had yet to remove. */
function previousOf(claim: LoadedClaim | undefined): string[] {
  if (!claim) return [];
  const unfinished = isUnfinished(claim.journal) ? journalPrevious(claim, claim.journal.record) : [];
  return [...new Set([...claimAccounts(claim), ...unfinished])];
}

async function planDeclared(reads: TargetReads, { resource, declaration }: ReadResource): Promise<ResourcePlan> {
  const { definition } = reads.reader;
  const desired = await declaredMembers(reads, declaration);
  // The stack as deployed (its claim is named by stack name and logical ID); none yet for a new stack.
  const stackId = await reads.stacks.stackIdOf(resource.stackName);
  const own = reads.claims.find((claim) => claim.path === reads.ledger.claimPathOf(resource.stackName, resource.logicalId));
  const previous = previousOf(own);
  const desiredIds = new Set(desired.map((m) => m.accountId));
  const candidates = new Set(previous.filter((id) => !desiredIds.has(id)));
  const held = await heldElsewhere(reads, candidates, own, stackId, { accounts: declaration.siblingAccounts, units: declaration.siblingUnits });
  const plan = planMembers({
    statuses: reads.reader.statuses,
    desired,
    previous,
    live: reads.members,
    protected: held,
    memberCount: reads.members.length,
    invite: declaration.invite,
    removal: declaration.removal,
  });
  const removing = removedAccounts(plan.removals);
  const recreate = new Set(plan.additions.delete);
  const { unreadable, ...settings } = await planSettings(reads, declaration, desired.map((m) => m.accountId));
  return {
    ...settings,
    stack: resource.stackName,
    logicalId: resource.logicalId,
    constructPath: resource.constructPath,
    create: plan.additions.create.map((m) => m.accountId).filter((id) => !recreate.has(id)),
    invite: plan.additions.invite,
    recreate: [...recreate],
    remove: removing,
    released: plan.released,
    blocked: [...plan.blocked, ...unreadable ?? []],
    unchanged: plan.unchanged.length,
    ...(plan.awaiting.length > 0 ? { awaiting: plan.awaiting } : {}),
    failures: [
      removalGuardReason(definition.name, definition.target.noun, removing.length, previous.length, declaration.maxRemovals),
      quotaReason(definition.name, plan, reads.members.length),
    ].filter((reason): reason is string => reason !== undefined),
  };
}

/** The settings the deployment would change (GuardDuty: protection plans) on the declared members associated now; the others wait. */
async function planSettings(reads: TargetReads, declaration: Declaration<MemberReader>, desired: readonly string[])
  : Promise<Pick<ResourcePlan, 'planChanges' | 'plansPending'> & { unreadable?: AccountProblem[] }> {
  const api = reads.reader.memberReads(reads.ctx.clients, reads.target).settings;
  if (!declaration.settings || !api) return {};
  const live = new Map(reads.members.map((m) => [m.accountId, m]));
  const settable = new Set(desired.filter((id) => live.has(id) && api.settable(live.get(id)!)));
  const pending = desired.filter((id) => !settable.has(id));
  const planChanges: PlanChange[] = [];
  // Accounts whose settings the service refused to read: the deployment would fail on them.
  const unreadable: AccountProblem[] = [];
  for (const batch of chunk([...settable])) {
    const { settings, unprocessed } = await readAttributed(api, batch);
    for (const u of unprocessed) {
      if (api.notYet(u.reason)) pending.push(u.accountId);
      else unreadable.push({ accountId: u.accountId, operation: api.readOperation, reason: u.reason });
    }
    for (const [id, current] of settings) {
      for (const [plan, to] of Object.entries(settingsChange(declaration.settings, current))) {
        planChanges.push({ accountId: id, plan, from: current[plan] ?? 'absent', to });
      }
    }
  }
  return { planChanges, plansPending: pending.sort(), unreadable };
}

/** A deployed resource that leaves the app: its claim's accounts go unless held elsewhere (none with RETAIN), under the removal guard. */
async function planRemoved(reads: TargetReads, removed: RemovedResource): Promise<ResourcePlan> {
  const { definition } = reads.reader;
  const own = reads.claims.find((claim) => claim.path === reads.ledger.claimPathOf(removed.stackName, removed.logicalId));
  const declared = own?.record?.declaration;
  const held = declared?.removalPolicy === 'RETAIN' ? [] : previousOf(own);
  const protectedIds = await heldElsewhere(reads, new Set(held), own, own?.key.stackId, {
    accounts: decodeAccounts(declared?.siblingAccounts),
    units: (declared?.siblingUnits ?? []).map((u) => ({ units: u.units, exclude: u.exclude })),
  });
  const removals = planDeletion(reads.reader.statuses, held, reads.members, declared?.memberRemoval === 'DISASSOCIATE' ? 'DISASSOCIATE' : 'DELETE', protectedIds);
  const removing = removedAccounts(removals);
  const guard = removalGuardReason(definition.name, definition.target.noun, removing.length, held.length, declared?.maxRemovals, 'removal of the resource');
  return {
    stack: removed.stackName,
    logicalId: removed.logicalId,
    deleted: true,
    create: [],
    invite: [],
    recreate: [],
    remove: removing,
    released: held.filter((id) => protectedIds.has(id)),
    blocked: [],
    unchanged: 0,
    failures: guard ? [`${guard} The stack goes on: CloudFormation skips this Delete after its retries and the claim keeps the members.`] : [],
  };
}

/** Claims whose stack lives on without their resource: what the last refused cleanup Delete left. */
async function orphanedClaims(reads: TargetReads, deployed: DeployedResources): Promise<OrphanedClaim[]> {
  const orphans: OrphanedClaim[] = [];
  for (const claim of reads.claims) {
    if (!claim.record || await reads.stacks.gone(claim.key.stackId)) continue;
    const stackName = claim.key.stackId.split(':')[5]?.split('/')[1] ?? claim.key.stackId;
    const resources = await deployed.stackResources(stackName);
    if (!resources.some((r) => r.logicalId === claim.key.logicalId)) {
      orphans.push({ stack: stackName, logicalId: claim.key.logicalId, accounts: claimAccounts(claim).length });
    }
  }
  return orphans;
}

export async function previewTarget(reader: MemberReader, target: string, planned: { resources: ReadResource[]; removed: RemovedResource[] },
  stacks: Stacks, deployed: DeployedResources, ctx: PreviewContext): Promise<TargetPlan> {
  const { definition } = reader;
  const ledger = new ClaimReader(new ParameterReader(ctx.clients(SSMClient)), definition.iamPrefix, definition.ledgerId(target));
  const memberReads = reader.memberReads(ctx.clients, target);
  const [{ claims }, members] = await Promise.all([ledger.load(), memberReads.listMembers()]);
  const reads: TargetReads = { reader, target, ledger, claims, members, stacks, ctx, resolveUnits: unitResolver(reader, ctx) };
  const resources: ResourcePlan[] = [];
  const declaredHere = new Set<string>();
  for (const r of planned.resources) {
    (await declaredMembers(reads, r.declaration)).forEach((m) => declaredHere.add(m.accountId));
    resources.push(await planDeclared(reads, r));
  }
  for (const removed of planned.removed) {
    resources.push(await planRemoved(reads, removed));
  }
  const settingsNoun = memberReads.settings?.noun;
  const covered = await coverage(reads, declaredHere, deployed);
  return { service: definition.name, target, resources, coverage: covered, ...(settingsNoun ? { settingsNoun } : {}) };
}

async function coverage(reads: TargetReads, declaredHere: ReadonlySet<string>, deployed: DeployedResources): Promise<Coverage> {
  const live = new Map(reads.members.map((m) => [m.accountId, m]));
  const claimed = new Set<string>(reads.claims.flatMap((claim) => [...heldByClaim(claim)]));
  const gone = reads.reader.statuses.keepsDisassociated ? new Set(reads.reader.statuses.recreatable) : new Set<string>();
  return {
    unclaimedMembers: reads.members
      .filter((m) => !claimed.has(m.accountId) && !declaredHere.has(m.accountId) && !gone.has(m.status))
      .map((m) => ({ accountId: m.accountId, status: m.status }))
      .sort((a, b) => a.accountId.localeCompare(b.accountId)),
    claimedNotMembers: [...claimed].filter((id) => !live.has(id) || gone.has(live.get(id)!.status)).sort(),
    orphanedClaims: await orphanedClaims(reads, deployed),
  };
}

/** A target the deployment creates (a token): nothing to read yet, every declared account is created. */
export async function planDeferred(reader: MemberReader, deferred: string, resources: readonly ReadResource[],
  ctx: PreviewContext): Promise<TargetPlan> {
  const reads = { resolveUnits: unitResolver(reader, ctx) };
  const planned: ResourcePlan[] = [];
  for (const { resource, declaration } of resources) {
    const desired = await declaredMembers(reads, declaration);
    planned.push({
      stack: resource.stackName,
      logicalId: resource.logicalId,
      constructPath: resource.constructPath,
      create: desired.map((m) => m.accountId),
      invite: [],
      recreate: [],
      remove: [],
      released: [],
      blocked: [],
      unchanged: 0,
      failures: [],
    });
  }
  return { service: reader.definition.name, deferred, resources: planned };
}
