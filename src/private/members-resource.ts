/**
 * What every member construct shares: the declared accounts, the custom resource and its
 * properties, and the checks across constructs that only the whole app can make: another
 * construct of the stack declaring accounts for the same service (each resource learns them at
 * synth time, so moving accounts between constructs in one deployment removes nothing, in
 * either update order), the same account or OU declared twice on one target (a synth error), and
 * warnings for declarations that do nothing useful.
 */
import { Annotations, Aspects, Aws, CfnElement, CustomResource, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct, IConstruct } from 'constructs';
import { MemberAccount } from '../member-account';
import { OrganizationSourceProps } from '../organization-sources';
import { DeclaredMembers } from './declared-members';
import { shown, validationError } from './errors';
import { encodeAccounts } from './ledger/codec';
import { MembersProvider, SERVICE_TIMEOUT } from './members-provider';
import {
  ACCOUNT_ID_PATTERN, OU_ID_PATTERN, ReconcileProperties, ROOT_ID_PATTERN, SCHEMA_VERSION, SYNC_FAILURES_METRIC, SYNC_METRIC_NAMESPACE,
} from './properties';
import { removalPolicyProperty } from './removal-policy';
import { ServiceDefinition } from './services/service-definition';
import { checkTarget } from './target-check';

/** What every member construct's props have, whatever the service. */
export interface CommonMembersProps extends OrganizationSourceProps {
  readonly members?: MemberAccount[];
  readonly removalPolicy?: RemovalPolicy;
  readonly maxRemovals?: number;
  readonly failOnUnprocessed?: boolean;
}

export interface MembersResourceOptions {
  readonly service: ServiceDefinition;
  /** The named target; undefined: discovered at deploy time. */
  readonly target?: string;
  /** The construct's props every service shares (members, removal, organization sources). */
  readonly props: CommonMembersProps;
  /** The service's own properties (Invite, Message, ...). */
  readonly properties: Partial<ReconcileProperties>;
  /**
   * The members' declared settings (GuardDuty: protection plans), by setting name, and the
   * construct property that declares them: two constructs that set one account's setting
   * differently are named by the synth-time overlap check.
   */
  readonly settings?: { readonly property: string; readonly values: Readonly<Record<string, string>> };
}


/** Checks a list of IDs at synth time (tokens pass): pattern and duplicates, naming the property and the value. */
function checkIds(scope: Construct, property: string, ids: readonly string[] | undefined, valid: (id: string) => boolean, what: string): string[] {
  if (ids === undefined) return [];
  if (Token.isUnresolved(ids)) return [...ids];
  const code = `Invalid${property[0].toUpperCase()}${property.slice(1)}`;
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (Token.isUnresolved(id)) continue;
    if (typeof id !== 'string' || !valid(id)) {
      throw validationError(scope, code, `${property}[${i}] ${shown(scope, id)} is not ${what}`);
    }
    if (seen.has(id)) {
      throw validationError(scope, code, `${property}[${i}] '${id}' is listed twice`);
    }
    seen.add(id);
  }
  return [...ids];
}

/** Every member resource of the app, to compare declarations across constructs. */
const declarations = new WeakMap<IConstruct, MembersResource[]>();

/** Warning IDs (`Annotations.of(construct).acknowledgeWarning(id)` silences one). */
export const WARNING_NO_MEMBERS = 'cdk-security-members:noMembersDeclared';
export const WARNING_METRIC_WITHOUT_SYNC = 'cdk-security-members:metricWithoutSyncSchedule';

export class MembersResource {
  readonly resource: CustomResource;
  readonly declared: DeclaredMembers;
  /** OU and root IDs declared (tokens included). */
  private readonly organizationalUnits: string[];
  /** Account IDs left out of them. */
  private readonly excludeAccounts: string[];

  constructor(private readonly scope: Construct, private readonly options: MembersResourceOptions) {
    const { service, target, props } = options;
    checkTarget(scope, service, target);
    const removalPolicy = removalPolicyProperty(scope, props.removalPolicy);
    const maxRemovals = props.maxRemovals;
    if (maxRemovals !== undefined && !Token.isUnresolved(maxRemovals) && (!Number.isInteger(maxRemovals) || maxRemovals < 0)) {
      throw validationError(scope, 'InvalidMaxRemovals', `maxRemovals ${maxRemovals} is not a non-negative integer`);
    }
    this.organizationalUnits = checkIds(scope, 'organizationalUnits', props.organizationalUnits,
      (id) => OU_ID_PATTERN.test(id) || ROOT_ID_PATTERN.test(id), 'an OU ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx)');
    const excludeAccounts = this.checkExclusions(props.excludeAccounts);
    this.excludeAccounts = excludeAccounts;

    this.declared = new DeclaredMembers(scope, service, () => Buffer.byteLength(JSON.stringify(this.siblings() ?? {}), 'utf8'));
    // A plain loop: an error's trace then goes from the constructor straight to the user's code.
    for (const [i, member] of (props.members ?? []).entries()) {
      this.declared.add(member, `members[${i}]`);
    }

    const provider = MembersProvider.of(scope);
    provider.allow(service, target === undefined);
    const settingsPolicy = options.settings ? provider.allowSettings(service) : undefined;
    if (this.organizationalUnits.length > 0) {
      provider.allowOrganizations();
    }
    this.register();

    const properties: ReconcileProperties = {
      Service: service.name,
      ...(service.target.property ? { [service.target.property]: target } : {}),
      ...this.declared.lazyProperties(),
      ...options.properties,
      FailOnUnprocessed: props.failOnUnprocessed ?? true,
      RemovalPolicy: removalPolicy,
      MaxRemovals: maxRemovals,
      Siblings: Lazy.any({ produce: () => this.siblings() }) as ReconcileProperties['Siblings'],
      // Only when used: a stack without them synthesizes as before.
      ...(this.organizationalUnits.length > 0 ? { OrganizationalUnits: this.organizationalUnits } : {}),
      ...(excludeAccounts.length > 0 ? { ExcludeAccounts: excludeAccounts } : {}),
      Schema: SCHEMA_VERSION,
    };
    this.resource = new CustomResource(scope, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: service.resourceType,
      // The resource always gets its Delete (its claim must go); RETAIN is the handler's to keep members.
      removalPolicy: RemovalPolicy.DESTROY,
      serviceTimeout: SERVICE_TIMEOUT,
      properties: { ...properties },
    });
    if (settingsPolicy) {
      // Deleted (and rolled back) before the policy that lets its handler put its settings back.
      this.resource.node.addDependency(settingsPolicy);
    }
    if (props.syncSchedule) {
      this.addSyncSchedule(provider, props.syncSchedule);
    }
  }

  /** Known to the app's other constructs, checked against them once the app is built. */
  private register(): void {
    const { scope } = this;
    const all = declarations.get(scope.node.root) ?? [];
    all.push(this);
    declarations.set(scope.node.root, all);
    scope.node.addValidation({ validate: () => this.overlaps() });
    // Once the app is built (addMember() calls included): a construct that declares nothing.
    Aspects.of(scope).add({ visit: (node) => (node === scope ? this.warnIfEmpty() : undefined) });
  }

  /** `excludeAccounts`, checked: 12-digit IDs, only beside OUs, and (once the app is built) none also in members. */
  private checkExclusions(ids: string[] | undefined): string[] {
    const excludeAccounts = checkIds(this.scope, 'excludeAccounts', ids, (id) => ACCOUNT_ID_PATTERN.test(id), 'a 12-digit account ID');
    if (excludeAccounts.length > 0 && this.organizationalUnits.length === 0) {
      throw validationError(this.scope, 'ExcludeAccountsWithoutOrganizationalUnits',
        'excludeAccounts only leaves out accounts of organizationalUnits, and there are none');
    }
    // After addMember() calls too: a declared member that is also excluded contradicts itself.
    this.scope.node.addValidation({
      validate: () => {
        const declared = new Set(this.declared.accountIds());
        const both = excludeAccounts.filter((id) => declared.has(id));
        return both.length === 0 ? [] : [`excludeAccounts: ${both.join(', ')} ${both.length === 1 ? 'is' : 'are'} also declared in members; ` +
          'an excluded account is never declared through organizationalUnits, and members always are: keep one of the two'];
      },
    });
    return excludeAccounts;
  }

  /** An EventBridge rule that syncs this resource's claim between deployments. */
  private addSyncSchedule(provider: MembersProvider, schedule: events.Schedule): void {
    const { service } = this.options;
    provider.allowSyncMetrics();
    // The input names the claim to sync: the target (the physical ID), the stack and the logical ID.
    const sync: Record<string, string> = {
      Service: service.name,
      Target: this.resource.ref,
      StackId: Aws.STACK_ID,
      LogicalId: this.stack.getLogicalId(this.resource.node.defaultChild as CfnElement),
    };
    new events.Rule(this.scope, 'SyncSchedule', {
      schedule,
      description: `cdk-security-members: syncs ${this.scope.node.path} (${service.name}) between deployments`,
      targets: [new targets.LambdaFunction(provider.handler, {
        event: events.RuleTargetInput.fromObject({ CdkSecurityMembersSync: sync }),
        // A failed sync reports itself (log and metric) and waits for the next scheduled time.
        retryAttempts: 0,
      })],
    });
  }

  /** A construct with no members and no OUs: its deployment removes what it held (a forgotten list looks like this). */
  private warnIfEmpty(): void {
    if (this.declared.count === 0 && this.organizationalUnits.length === 0) {
      Annotations.of(this.scope).addWarningV2(WARNING_NO_MEMBERS, 'declares no members and no organizationalUnits: a deployment ' +
        'removes every member this construct held before (within maxRemovals) and adds none. Declare members or ' +
        'organizationalUnits, or remove the construct.');
    }
  }

  /** Failed scheduled syncs of this resource (Sum). */
  metricSyncFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.options.props.syncSchedule) {
      Annotations.of(this.scope).addWarningV2(WARNING_METRIC_WITHOUT_SYNC, 'metricSyncFailures(): this construct has no syncSchedule, so ' +
        'the metric never gets a data point and an alarm on it never fires. Give the construct a syncSchedule, or drop the metric ' +
        '(a failed deployment fails its stack instead).');
    }
    return new cloudwatch.Metric({
      namespace: SYNC_METRIC_NAMESPACE,
      metricName: SYNC_FAILURES_METRIC,
      dimensionsMap: { Service: this.options.service.name, Target: this.resource.ref },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  private get stack(): Stack {
    return Stack.of(this.scope);
  }

  /** The other constructs of this stack and service. */
  private others(): MembersResource[] {
    return (declarations.get(this.scope.node.root) ?? [])
      .filter((other) => other !== this && other.options.service.name === this.options.service.name && other.stack === this.stack);
  }

  /**
   * The static accounts the stack's other constructs of this service declare (one detector,
   * graph or hub per account and region: they all share the target). Undefined when there are none.
   */
  private siblings(): ReconcileProperties['Siblings'] | undefined {
    const others = this.others();
    const accounts = others.flatMap((other) => other.declared.accountIds());
    // Each construct's units with its own exclusions: an account one of them excludes may be in another's OU.
    const units = others
      .map((other) => ({
        OrganizationalUnits: other.organizationalUnits.filter((id) => !Token.isUnresolved(id)),
        ...(other.excludeAccounts.length > 0 ? { ExcludeAccounts: other.excludeAccounts.filter((id) => !Token.isUnresolved(id)) } : {}),
      }))
      .filter((declaration) => declaration.OrganizationalUnits.length > 0);
    if (accounts.length === 0 && units.length === 0) {
      return undefined;
    }
    return {
      ...(accounts.length > 0 ? { Accounts: encodeAccounts(accounts) } : {}),
      ...(units.length > 0 ? { Units: units } : {}),
    };
  }

  /**
   * Whether `other` surely manages the same target: the same service and named target (or both
   * discovered), in the same stack or in two stacks of the same known account and region. Stacks
   * without an account or region may deploy anywhere: no verdict across them.
   */
  private sameTarget(other: MembersResource): boolean {
    if (other.options.service.name !== this.options.service.name) {
      return false;
    }
    const a = this.stack;
    const b = other.stack;
    const known = (s: Stack) => !Token.isUnresolved(s.account) && !Token.isUnresolved(s.region);
    const sameEnvironment = a === b || (known(a) && known(b) && a.account === b.account && a.region === b.region);
    return sameEnvironment && (this.options.target ?? '') === (other.options.target ?? '');
  }

  /**
   * Accounts, and organizational units, that this construct and another of the app declare on
   * the same target (reported once, by the later path): two claims would own the same accounts.
   */
  private overlaps(): string[] {
    const mine = new Set(this.declared.accountIds());
    const { name, target: { noun } } = this.options.service;
    const errors: string[] = [];
    for (const other of declarations.get(this.scope.node.root) ?? []) {
      if (other === this || other.scope.node.path > this.scope.node.path || !this.sameTarget(other)) {
        continue;
      }
      const both = `by both ${other.scope.node.path} and ${this.scope.node.path} on the same ${name} ${noun}`;
      const shared = other.declared.accountIds().filter((id) => mine.has(id));
      if (shared.length > 0) {
        errors.push(`members: account${shared.length === 1 ? '' : 's'} ${shared.slice(0, 10).join(', ')}${shared.length > 10 ? ', ...' : ''} ` +
          `declared ${both}; declare each account in one construct (its claim owns it)`);
      }
      errors.push(...this.conflictingSettings(other, shared));
      const units = overlappingUnits(other.organizationalUnits, this.organizationalUnits);
      if (units.length > 0) {
        errors.push(`organizationalUnits: ${units.join(', ')} declared ${both}; their accounts would be declared twice: ` +
          'declare each OU in one construct (its claim owns the accounts)');
      }
    }
    return errors;
  }

  /** The settings of `shared` accounts that `other` and this construct set differently. */
  private conflictingSettings(other: MembersResource, shared: readonly string[]): string[] {
    const mine = this.options.settings;
    const theirs = other.options.settings?.values ?? {};
    if (!mine || shared.length === 0) return [];
    const differing = Object.entries(mine.values).filter(([name, value]) => theirs[name] !== undefined && theirs[name] !== value);
    return differing.map(([name, value]) => `${mine.property}: ${name} of account${shared.length === 1 ? '' : 's'} ` +
      `${shared.slice(0, 10).join(', ')}${shared.length > 10 ? ', ...' : ''} is ${theirs[name]} by ${other.scope.node.path} ` +
      `and ${value} by ${this.scope.node.path}; one account's plan has one owner`);
  }
}

/**
 * The declarations of `a` and `b` that surely hold the same accounts: the same OU or root, or a
 * root and an OU below it (an OU's ID carries its root's: `ou-<root>-...` is below `r-<root>`).
 */
export function overlappingUnits(a: readonly string[], b: readonly string[]): string[] {
  const rootOf = (id: string) => (ROOT_ID_PATTERN.test(id) ? id.slice(2) : id.split('-')[1]);
  const known = (ids: readonly string[]) => ids.filter((id) => !Token.isUnresolved(id));
  const found = new Set<string>();
  for (const x of known(a)) {
    for (const y of known(b)) {
      if (x === y) {
        found.add(x);
      } else if ((ROOT_ID_PATTERN.test(x) || ROOT_ID_PATTERN.test(y)) && rootOf(x) === rootOf(y)) {
        found.add(`${x} and ${y}`);
      }
    }
  }
  return [...found];
}
