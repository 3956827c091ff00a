import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MembersProvider } from './private/members-provider';

/**
 * Settings of a stack's one reconcile handler and its CDK Provider framework functions. Every
 * setting is optional; the defaults are what a stack without `SecurityMembersProvider.configure()`
 * gets. A permissions boundary needs no setting here: `PermissionsBoundary.of(stack).apply(...)`
 * reaches every role the library creates.
 */
export interface SecurityMembersProviderProps {
  /**
   * How long the handler's log group (which the Provider framework's functions share) keeps
   * events.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group when the stack is deleted or the group is replaced.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * The VPC to run the handler and the Provider framework's functions in. They call GuardDuty,
   * Detective, Security Hub, Parameter Store, CloudFormation, Organizations and CloudWatch (the
   * handler), Lambda (the framework's functions invoke the handler) and Step Functions (the
   * framework's waiter): the subnets need a route to those endpoints (a NAT gateway, or
   * interface VPC endpoints).
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc` to run in.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the functions in `vpc` (they need outbound HTTPS only).
   *
   * @default - one security group, created by each function, allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The one reconcile handler (and CDK Provider framework) a stack's member constructs share.
 * Configure it before the stack's first member construct; without it, the defaults apply.
 *
 * @example
 * import { RemovalPolicy } from 'aws-cdk-lib';
 * import * as ec2 from 'aws-cdk-lib/aws-ec2';
 * import * as logs from 'aws-cdk-lib/aws-logs';
 * import { GuardDutyMembers, SecurityMembersProvider } from 'cdk-security-members';
 *
 * declare const vpc: ec2.IVpc;
 * SecurityMembersProvider.configure(this, {
 *   logRetention: logs.RetentionDays.TEN_YEARS,
 *   logRemovalPolicy: RemovalPolicy.RETAIN,
 *   vpc,
 *   vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
 * });
 * new GuardDutyMembers(this, 'GuardDutyMembers', {
 *   members: [{ accountId: '222222222222', email: 'aws-workloads@example.com' }],
 * });
 */
export class SecurityMembersProvider {
  /**
   * Sets up the handler of the stack `scope` belongs to. Call it once per stack, before the
   * stack's first member construct (which creates the handler).
   */
  public static configure(scope: Construct, props: SecurityMembersProviderProps): void {
    MembersProvider.configure(scope, props);
  }

  private constructor() {}
}
