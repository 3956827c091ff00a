/**
 * What every member construct shares: the declared accounts, the custom resource and its
 * properties, and the checks across constructs that only the whole app can make: another
 * construct of the stack declaring accounts for the same service (each resource learns them at
 * synth time, so moving accounts between constructs in one deployment removes nothing, in
 * either update order), and the same account declared twice on one target (a synth error).
 */
import { CustomResource, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { MemberAccount } from '../member-account';
import { DeclaredMembers } from './declared-members';
import { encodeAccounts } from './ledger/codec';
import { MembersProvider, SERVICE_TIMEOUT } from './members-provider';
import { ReconcileProperties, SCHEMA_VERSION } from './properties';
import { removalPolicyProperty } from './removal-policy';
import { ServiceDefinition } from './services/service-definition';
import { checkTarget } from './target-check';

export interface MembersResourceOptions {
  readonly service: ServiceDefinition;
  /** The named target; undefined: discovered at deploy time. */
  readonly target?: string;
  readonly members?: MemberAccount[];
  readonly removalPolicy?: RemovalPolicy;
  readonly maxRemovals?: number;
  readonly failOnUnprocessed?: boolean;
  /** The service's own properties (Invite, Message, ...). */
  readonly properties: Partial<ReconcileProperties>;
}

/** Every member resource of the app, to compare declarations across constructs. */
const declarations = new WeakMap<IConstruct, MembersResource[]>();

export class MembersResource {
  readonly resource: CustomResource;
  readonly declared: DeclaredMembers;

  constructor(private readonly scope: Construct, private readonly options: MembersResourceOptions) {
    const { service, target } = options;
    checkTarget(scope, service, target);
    const removalPolicy = removalPolicyProperty(scope, options.removalPolicy);
    const maxRemovals = options.maxRemovals;
    if (maxRemovals !== undefined && !Token.isUnresolved(maxRemovals) && (!Number.isInteger(maxRemovals) || maxRemovals < 0)) {
      throw new Error(`${scope.node.path}: maxRemovals ${maxRemovals} is not a non-negative integer`);
    }

    this.declared = new DeclaredMembers(scope, service, () => Buffer.byteLength(JSON.stringify(this.siblings() ?? {}), 'utf8'));
    (options.members ?? []).forEach((member, i) => this.declared.add(member, `members[${i}]`));

    const provider = MembersProvider.of(scope);
    provider.allow(service, target === undefined);

    const all = declarations.get(scope.node.root) ?? [];
    all.push(this);
    declarations.set(scope.node.root, all);
    scope.node.addValidation({ validate: () => this.duplicates() });

    const properties: ReconcileProperties = {
      Service: service.name,
      ...(service.target.property ? { [service.target.property]: target } : {}),
      ...this.declared.lazyProperties(),
      ...options.properties,
      FailOnUnprocessed: options.failOnUnprocessed ?? true,
      RemovalPolicy: removalPolicy,
      MaxRemovals: maxRemovals,
      Siblings: Lazy.any({ produce: () => this.siblings() }) as ReconcileProperties['Siblings'],
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
    const accounts = this.others().flatMap((other) => other.declared.accountIds());
    return accounts.length > 0 ? { Accounts: encodeAccounts(accounts) } : undefined;
  }

  /** Whether `other` manages the same target: same service and environment, same named target or both discovered. */
  private sameTarget(other: MembersResource): boolean {
    if (other.options.service.name !== this.options.service.name) {
      return false;
    }
    const a = this.stack;
    const b = other.stack;
    const known = (s: Stack) => !Token.isUnresolved(s.account) && !Token.isUnresolved(s.region);
    const sameEnvironment = a === b || (known(a) && known(b) ? a.account === b.account && a.region === b.region : !known(a) && !known(b));
    return sameEnvironment && (this.options.target ?? '') === (other.options.target ?? '');
  }

  /** Accounts this construct and another of the app declare on the same target (reported once, by the later path). */
  private duplicates(): string[] {
    const mine = new Set(this.declared.accountIds());
    const errors: string[] = [];
    for (const other of declarations.get(this.scope.node.root) ?? []) {
      if (other === this || other.scope.node.path > this.scope.node.path || !this.sameTarget(other)) {
        continue;
      }
      const shared = other.declared.accountIds().filter((id) => mine.has(id));
      if (shared.length > 0) {
        const { noun } = this.options.service.target;
        errors.push(`members: account${shared.length === 1 ? '' : 's'} ${shared.slice(0, 10).join(', ')}${shared.length > 10 ? ', ...' : ''} ` +
          `declared by both ${other.scope.node.path} and ${this.scope.node.path} on the same ${this.options.service.name} ${noun}; ` +
          'declare each account in one construct (its claim owns it)');
      }
    }
    return errors;
  }
}
