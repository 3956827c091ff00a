import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { MemberAccount } from './member-account';
import { OrganizationSourceProps } from './organization-sources';
import { MembersResource } from './private/members-resource';
import { SECURITY_HUB } from './private/services/securityhub/definition';

/**
 * Properties of `SecurityHubMembers`.
 */
export interface SecurityHubMembersProps extends OrganizationSourceProps {
  /**
   * The member accounts. More can be added with `addMember()`.
   *
   * @default - none
   */
  readonly members?: MemberAccount[];

  /**
   * Invite members left in the Created state (accounts outside the administrator's
   * organization). Organization accounts are enabled by CreateMembers and never invited.
   *
   * @default true
   */
  readonly invite?: boolean;

  /**
   * What happens to the members when this resource leaves the stack or the stack is deleted.
   * `DESTROY` removes the members this resource holds that no other declaration holds
   * (DisassociateMembers, then DeleteMembers); `RETAIN` (or `RETAIN_ON_UPDATE_OR_DELETE`) leaves
   * them. Either way the resource's claim in the ownership ledger is deleted. `SNAPSHOT` is refused.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Fail the deployment when Security Hub leaves accounts unprocessed (after checking live
   * state). When false, the deployment succeeds, and the accounts are logged and counted in the
   * `Unprocessed` attribute.
   *
   * @default true
   */
  readonly failOnUnprocessed?: boolean;

  /**
   * The most members one deployment may remove: a deployment that would remove more fails
   * before changing anything (an empty or truncated account list looks like that). Set it for
   * the deployment that removes many on purpose.
   *
   * @default - no limit while the previous declaration held fewer than 10 accounts, else 25% of it, rounded up
   */
  readonly maxRemovals?: number;
}

/**
 * Security Hub member accounts of the administrator's hub (the stack account's and region's),
 * reconciled whenever the declaration is deployed.
 *
 * The hub must be enabled (DescribeHub is asked first; a deployment in an account without Security
 * Hub fails saying so). Missing accounts are created, and those left in Created are invited
 * (organization accounts are enabled by CreateMembers and never invited); accounts no longer
 * declared leave the hub (DisassociateMembers, then DeleteMembers) unless another declaration
 * holds them; members that no declaration holds are never touched.
 *
 * @exampleMetadata fixture=members
 * @example
 * new SecurityHubMembers(this, 'SecurityHubMembers', {
 *   members: [
 *     { accountId: '222222222222', email: 'aws-workloads@example.com' },
 *   ],
 * });
 */
export class SecurityHubMembers extends Construct {
  /**
   * The ARN of the hub whose members this resource manages.
   *
   * @attribute
   */
  public readonly hubArn: string;

  /**
   * The custom resource. Its attributes `Created`, `Invited`, `Removed`, `Unchanged`,
   * `Unprocessed` and `Disabled` count the accounts of the last deployment.
   */
  public readonly resource: CustomResource;

  private readonly members: MembersResource;

  constructor(scope: Construct, id: string, props: SecurityHubMembersProps = {}) {
    super(scope, id);
    this.members = new MembersResource(this, {
      service: SECURITY_HUB,
      props,
      properties: { Invite: props.invite ?? true },
    });
    this.resource = this.members.resource;
    this.hubArn = this.resource.ref;
  }

  /**
   * Declare one more member account.
   *
   * @exampleMetadata fixture=members
   * @example
   * hubMembers.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });
   */
  public addMember(member: MemberAccount): void {
    this.members.declared.add(member, 'addMember()');
  }

  /**
   * Scheduled syncs of this resource that failed (`syncSchedule`), as the metric
   * `CdkSecurityMembers/SyncFailures` with the dimensions `Service` and `Target`. A sync publishes
   * one data point when it fails and none otherwise. Statistic `Sum`, period 5 minutes unless
   * told; alarm on it with `treatMissingData: NOT_BREACHING`.
   *
   * @exampleMetadata fixture=members
   * @example
   * hubMembers.metricSyncFailures({ period: Duration.days(1) }).createAlarm(this, 'SyncFailures', {
   *   threshold: 1,
   *   evaluationPeriods: 1,
   *   treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   * });
   */
  public metricSyncFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.members.metricSyncFailures(props);
  }
}
