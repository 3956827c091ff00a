/**
 * One provider per stack, however many member constructs: the reconcile handler, its role, its
 * log group and the CDK Provider framework. Constructs ask it for the rights they need.
 */
import { createHash } from 'crypto';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge, Acknowledgement } from './acknowledge';
import { validationError } from './errors';
import { SETTINGS_ENVIRONMENT, SYNC_METRIC_NAMESPACE } from './properties';
import { acknowledgeFramework, nagText, quietFrameworkLogs, targetWildcardFinding, wildcardFinding } from './provider-findings';
import { ReconcileFunction } from './reconcile-function';
import type { SecurityMembersProviderProps } from '../security-members-provider';
import { ServiceDefinition } from './services/service-definition';

/** The Provider framework's own Lambda times out at 15 minutes; stay under it. */
export const HANDLER_TIMEOUT = Duration.minutes(14);
/**
 * The Provider framework's bound on one event across isComplete calls. The handler ends its own
 * work before (24 minutes for the reconcile, 4 more for undoing a failed create), so a long run
 * fails with its own reason, not the framework's timeout.
 */
export const PROVIDER_TOTAL_TIMEOUT = Duration.minutes(30);
/** Between two isComplete calls of a run that continues (or waits for the target's lock). */
export const QUERY_INTERVAL = Duration.seconds(5);
/** CloudFormation waits this long for an answer (default: one hour). */
export const SERVICE_TIMEOUT = Duration.minutes(35);

const PROVIDER_ID = 'SecurityMembersProvider';

/** The ownership ledger's root (ledger/ledger.ts LEDGER_ROOT), without the leading slash. */
const LEDGER_PATH = 'cdk-security-members';

/**
 * `<stack name>-SecurityMembers-<hash>`, within Lambda's 64 characters; stack names are unique
 * per account and region. Undefined when the stack name is a token (CloudFormation names it).
 */
export function handlerFunctionName(stack: Stack): string | undefined {
  if (Token.isUnresolved(stack.stackName)) {
    return undefined;
  }
  const hash = createHash('sha256').update(stack.stackName).digest('hex').slice(0, 8);
  return `${stack.stackName.slice(0, 38)}-SecurityMembers-${hash}`;
}

/** `SecurityMembersProvider.configure()`'s settings, per stack, until the provider is made. */
const configured = new WeakMap<Stack, SecurityMembersProviderProps>();

export class MembersProvider extends Construct {
  /** The stack's provider, created on first use. */
  static of(scope: Construct): MembersProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID) as MembersProvider | undefined;
    return existing ?? new MembersProvider(stack, PROVIDER_ID, configured.get(stack) ?? {});
  }

  /** Settings for the stack's provider; it must not exist yet. */
  static configure(scope: Construct, props: SecurityMembersProviderProps): void {
    const stack = Stack.of(scope);
    if (stack.node.tryFindChild(PROVIDER_ID)) {
      throw validationError(stack, 'ProviderConfiguredLate', 'SecurityMembersProvider.configure() comes after the stack\'s first member construct, ' +
        'which has created the handler with the defaults: call it before');
    }
    if (configured.has(stack)) {
      throw validationError(stack, 'ProviderConfiguredTwice', 'SecurityMembersProvider.configure() is called twice for this stack: pass every setting at once');
    }
    if (!props.vpc && (props.vpcSubnets || props.securityGroups)) {
      throw validationError(stack, 'ProviderSubnetsWithoutVpc', 'SecurityMembersProvider: vpcSubnets and securityGroups need a vpc');
    }
    configured.set(stack, props);
  }

  readonly serviceToken: string;
  /** The reconcile handler: the Provider framework's, and the sync schedules' target. */
  readonly handler: lambda.IFunction;
  private readonly role: iam.Role;
  private readonly granted = new Set<string>();
  private readonly settingsServices = new Set<string>();

  private constructor(scope: Construct, id: string, options: SecurityMembersProviderProps) {
    super(scope, id);
    // The Provider framework ends every failure reason with `Logs: /aws/lambda/<handler name>`:
    // naming the handler and its log group to match makes that the one, correct log pointer.
    const functionName = handlerFunctionName(Stack.of(this));
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: functionName && `/aws/lambda/${functionName}`,
      retention: options.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: options.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const network = options.vpc ? { vpc: options.vpc, vpcSubnets: options.vpcSubnets, securityGroups: options.securityGroups } : {};

    // Own roles with inline, scoped rights: no managed policies.
    this.role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'cdk-security-members: reconciles security service members',
    });
    logGroup.grantWrite(this.role);

    const handler = new ReconcileFunction(this, 'Handler', {
      functionName,
      description: 'cdk-security-members: reconciles security service members',
      role: this.role,
      timeout: HANDLER_TIMEOUT,
      memorySize: 512,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...network,
    });
    this.handler = handler;

    const [frameworkRole, completeRole] = this.frameworkRoles(logGroup);

    // Asynchronous: a reconcile larger than one invocation continues in the next isComplete call.
    const provider = new Provider(this, 'Provider', {
      onEventHandler: handler,
      isCompleteHandler: handler,
      queryInterval: QUERY_INTERVAL,
      totalTimeout: PROVIDER_TOTAL_TIMEOUT,
      frameworkOnEventRole: frameworkRole,
      frameworkCompleteAndTimeoutRole: completeRole,
      logGroup,
      ...network,
    });
    if (options.vpc) {
      this.allowNetworkInterfaces([this.role, frameworkRole, completeRole]);
    }
    this.serviceToken = provider.serviceToken;
    quietFrameworkLogs(provider);

    acknowledgeFramework(provider, handler, [frameworkRole, completeRole]);
    this.allowLedger();
  }

  /** The Provider framework's own roles (onEvent; isComplete and timeout): they write to the handler's log group. */
  private frameworkRoles(logGroup: logs.ILogGroup): [iam.Role, iam.Role] {
    const role = (id: string, description: string) => {
      const created = new iam.Role(this, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
      logGroup.grantWrite(created);
      return created;
    };
    return [
      role('FrameworkRole', 'cdk-security-members: CDK Provider framework'),
      role('FrameworkCompleteRole', 'cdk-security-members: CDK Provider framework (isComplete and timeout)'),
    ];
  }

  /** The ownership ledger's Parameter Store rights and the stack status reads, with their acknowledgements. */
  private allowLedger(): void {
    const stack = Stack.of(this);
    // The ownership ledger: claims under /cdk-security-members/ in this account and region.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'OwnershipLedger',
      actions: ['ssm:DeleteParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter'],
      resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${LEDGER_PATH}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    }));
    // Read-only: the own stack's status tells a rollback; a claim of a deleted stack must not block removals.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'StackStatus',
      actions: ['cloudformation:DescribeStacks'],
      resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*/*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    }));
    const where = `arn:<AWS::Partition>:%s:${nagText(stack.region, 'AWS::Region')}:${nagText(stack.account, 'AWS::AccountId')}`;
    acknowledge(this.role, [{
      id: wildcardFinding(`${where.replace('%s', 'ssm')}:parameter/${LEDGER_PATH}/*`),
      reason: 'The ownership ledger: one claim per member resource under /cdk-security-members/<service>/<target>/, ' +
        'named by resources and stacks that exist only at deploy time; nothing else in Parameter Store.',
    }, {
      id: wildcardFinding(`${where.replace('%s', 'cloudformation')}:stack/*/*`),
      reason: 'DescribeStacks only (read-only): the own stack\'s status tells a rollback from an update, and a claim whose ' +
        'stack was deleted (any stack of this account and region) must not block removals.',
    }]);
  }

  /**
   * Adds `statement` to the handler role once per `key`, with the cdk-nag acknowledgement of its
   * wildcard: each acknowledgement exists only with the grant it covers.
   */
  private grantOnce(key: string, statement: iam.PolicyStatement, acknowledgement?: Acknowledgement): void {
    if (this.granted.has(key)) {
      return;
    }
    this.granted.add(key);
    this.role.addToPrincipalPolicy(statement);
    if (acknowledgement) {
      acknowledge(this.role, [acknowledgement]);
    }
  }

  /** Organizations' read-only listings, for constructs that declare organizational units. */
  allowOrganizations(): void {
    this.grantOnce('Organizations', new iam.PolicyStatement({
      sid: 'OrganizationsRead',
      // ListAccounts reads a root (the whole organization); the others walk OUs. None supports a resource narrower than `*` for every parent.
      actions: ['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren'],
      resources: ['*'],
    }), {
      id: wildcardFinding('*'),
      reason: 'Organizations read-only listings (ListAccounts, ListAccountsForParent, ListChildren) of the organizational units a ' +
        'construct declares: their parents are known at deploy time only; granted only when organizationalUnits is used.',
    });
  }

  /**
   * Functions in a VPC need to manage their network interfaces. Inline (no managed policy, as for
   * every other grant); EC2 supports no narrower resource for these actions.
   */
  private allowNetworkInterfaces(roles: iam.Role[]): void {
    for (const role of roles) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'VpcNetworkInterfaces',
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }));
      acknowledge(role, [{
        id: wildcardFinding('*'),
        reason: 'Lambda functions in a VPC manage their network interfaces (ec2:CreateNetworkInterface and the like), which ' +
          'support no narrower resource; granted only when SecurityMembersProvider.configure() places them in a VPC.',
      }]);
    }
  }

  /** PutMetricData into the library's namespace only, for constructs with a sync schedule. */
  allowSyncMetrics(): void {
    this.grantOnce('SyncMetrics', new iam.PolicyStatement({
      sid: 'SyncFailureMetric',
      actions: ['cloudwatch:PutMetricData'],
      // PutMetricData supports no resource; the namespace condition confines it.
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': SYNC_METRIC_NAMESPACE } },
    }), {
      id: wildcardFinding('*'),
      reason: `cloudwatch:PutMetricData supports no resource-level permissions; a condition limits it to the ${SYNC_METRIC_NAMESPACE} ` +
        'namespace (the sync failure metric); granted only when a construct has a syncSchedule.',
    });
  }

  /** The service's targets in this stack's account and region, as an IAM resource (`*` for a service without resource-level permissions). */
  private targetArn(service: ServiceDefinition): string {
    const { arn } = service.target;
    if (!arn) return '*';
    return Stack.of(this).formatArn({
      service: service.iamPrefix,
      resource: arn.resource,
      resourceName: arn.resourceName,
      arnFormat: arn.separator === '/' ? ArnFormat.SLASH_RESOURCE_NAME : ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * The members' settings actions (GuardDuty: protection plans) on the same targets, for
   * constructs that declare settings: answers the policy, which each such resource depends on.
   *
   * A policy of its own, not a statement of the role's default policy: CloudFormation rolls a
   * failed update back in dependency order, so a default policy changed by the update would lose
   * the rights before the resources' rollback needs them to put the settings back. A policy the
   * update added goes only in the cleanup, after the resources that depend on it; one it
   * removes, only once the update succeeded.
   */
  allowSettings(service: ServiceDefinition): iam.Policy | undefined {
    if (!service.settingsActions?.length) return undefined;
    const id = `${service.name}SettingsPolicy`;
    const existing = this.node.tryFindChild(id) as iam.Policy | undefined;
    if (existing) return existing;
    // The handler knows what its role may do: it journals the settings of the accounts a run
    // removes (so a rollback puts them back) only where it can read and write them.
    this.settingsServices.add(service.name);
    (this.handler as lambda.Function).addEnvironment(SETTINGS_ENVIRONMENT, [...this.settingsServices].sort().join(','));
    const policy = new iam.Policy(this, id, {
      roles: [this.role],
      statements: [new iam.PolicyStatement({
        sid: `${service.name}MemberSettings`,
        actions: [...service.settingsActions],
        resources: [this.targetArn(service)],
      })],
    });
    const { arn } = service.target;
    if (!arn || arn.resourceName === '*') {
      acknowledge(policy, [{
        id: targetWildcardFinding(Stack.of(this), service),
        reason: arn
          ? `${service.name} member settings (${service.settingsActions.join(', ')}) on any ${service.target.noun} of this stack's ` +
            'account and region (there is one per account and region); granted only when a construct declares them.'
          : `${service.name} member settings (${service.settingsActions.join(', ')}) support no resource-level permissions; ` +
            'granted only when a construct declares them.',
      }]);
    }
    return policy;
  }

  /** The acknowledgement of a member grant's wildcard, when it has one. */
  private memberAcknowledgement(service: ServiceDefinition, arn: ServiceDefinition['target']['arn'], noun: string): Acknowledgement | undefined {
    if (!arn) {
      return {
        id: targetWildcardFinding(Stack.of(this), service),
        reason: `${service.name} member actions (${service.memberActions.join(', ')}) support no resource-level permissions; ` +
          `granted only when a ${service.name} construct is in the stack.`,
      };
    }
    return arn.resourceName === '*' ? {
      id: targetWildcardFinding(Stack.of(this), service),
      reason: `${service.name} member actions on any ${noun} of this stack's account and region ` +
        '(there is one per account and region): after a replacement, the Delete of the old resource must still reach the old one.',
    } : undefined;
  }

  /**
   * Member actions on the stack account's and region's targets (see each definition's
   * `target.arn`), and discovery on `*` only when a construct omits its target and the service
   * finds it with a List call.
   */
  allow(service: ServiceDefinition, omitsTarget: boolean): void {
    // A service whose target is fixed (one per account and region, found without a List call) discovers nothing.
    const discovery = omitsTarget && service.discoveryActions.length > 0;
    const { arn, noun } = service.target;
    const resource = this.targetArn(service);
    this.grantOnce(service.name, new iam.PolicyStatement({
      sid: `${service.name}Members`,
      actions: [...service.memberActions],
      resources: [resource],
    }), this.memberAcknowledgement(service, arn, noun));
    if (!discovery) {
      return;
    }
    const discoveryKey = `${service.name}Discovery`;
    this.grantOnce(discoveryKey, new iam.PolicyStatement({
      sid: discoveryKey,
      // List* actions support no resource-level permissions.
      actions: [...service.discoveryActions],
      resources: ['*'],
    }));
    if (!this.granted.has('Discovery')) {
      // One acknowledgement for every service's discovery.
      this.granted.add('Discovery');
      acknowledge(this.role, [{
        id: wildcardFinding('*'),
        reason: 'The List actions that find a target (a detector, a behavior graph) support no resource-level permissions; ' +
          'granted only for the services whose construct omits its target, to discover it.',
      }]);
    }
  }
}
