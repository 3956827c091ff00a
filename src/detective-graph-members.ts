import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { MemberAccount } from './member-account';
import { OrganizationSourceProps } from './organization-sources';
import { MembersResource } from './private/members-resource';
import { DETECTIVE } from './private/services/detective/definition';
import { checkMessage } from './private/target-check';

/**
 * Properties of `DetectiveGraphMembers`.
 */
export interface DetectiveGraphMembersProps extends OrganizationSourceProps {
  /**
   * The administrator's behavior graph in this stack's account and region. A token is fine.
   *
   * @default - the region's behavior graph, found with ListGraphs at deploy time
   */
  readonly graphArn?: string;

  /**
   * The member accounts. More can be added with `addMember()`.
   *
   * @default - none
   */
  readonly members?: MemberAccount[];

  /**
   * Message included in the invitation email, 1 to 1,000 characters.
   *
   * @default - Detective's standard invitation
   */
  readonly message?: string;

  /**
   * Invite without sending an email notification to the member account's root user.
   *
   * @default false
   */
  readonly disableEmailNotification?: boolean;

  /**
   * What happens to the members when this resource leaves the stack or the stack is deleted.
   * `DESTROY` removes the members this resource holds that no other declaration holds;
   * `RETAIN` (or `RETAIN_ON_UPDATE_OR_DELETE`) leaves them. Either way the resource's claim in
   * the ownership ledger is deleted. `SNAPSHOT` is refused.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The most members one deployment may remove: a deployment that would remove more fails
   * before changing anything (an empty or truncated account list looks like that). Set it for
   * the deployment that removes many on purpose.
   *
   * @default - no limit while the previous declaration held fewer than 10 accounts, else 25% of it, rounded up
   */
  readonly maxRemovals?: number;

  /**
   * Fail the deployment when Detective leaves accounts unprocessed (after checking live state).
   * When false, the deployment succeeds, and the accounts are logged and counted in the
   * `Unprocessed` attribute.
   *
   * @default true
   */
  readonly failOnUnprocessed?: boolean;
}

/**
 * Detective behavior-graph member accounts, reconciled whenever the declaration is deployed.
 *
 * Missing accounts are created (Detective's CreateMembers invites them, or enables organization
 * accounts), accounts no longer declared leave the graph with DeleteMembers unless another
 * declaration holds them (the ownership ledger), and members that no declaration holds are
 * never touched. Accounts Detective leaves unprocessed fail the
 * deployment with their reasons; "already a member" answers are checked and accepted.
 *
 * @exampleMetadata fixture=members
 * @example
 * new DetectiveGraphMembers(this, 'DetectiveMembers', {
 *   members: [
 *     { accountId: '222222222222', email: 'aws-workloads@example.com' },
 *   ],
 *   message: 'Please accept the Detective invitation from the security account.',
 * });
 */
export class DetectiveGraphMembers extends Construct {
  /**
   * The ARN of the behavior graph whose members this resource manages (given or discovered).
   *
   * @attribute
   */
  public readonly graphArn: string;

  /**
   * The custom resource. Its attributes `Created`, `Invited`, `Removed`, `Unchanged`,
   * `Unprocessed` and `Disabled` count the accounts of the last deployment.
   */
  public readonly resource: CustomResource;

  private readonly members: MembersResource;

  constructor(scope: Construct, id: string, props: DetectiveGraphMembersProps = {}) {
    super(scope, id);
    checkMessage(this, DETECTIVE, 'message', props.message);
    this.members = new MembersResource(this, {
      service: DETECTIVE,
      target: props.graphArn,
      props,
      properties: {
        Message: props.message,
        DisableEmailNotification: props.disableEmailNotification ?? false,
      },
    });
    this.resource = this.members.resource;
    this.graphArn = this.resource.ref;
  }

  /**
   * Declare one more member account.
   *
   * @exampleMetadata fixture=members
   * @example
   * graphMembers.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });
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
   * graphMembers.metricSyncFailures({ period: Duration.days(1) }).createAlarm(this, 'SyncFailures', {
   *   threshold: 1,
   *   evaluationPeriods: 1,
   *   treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   * });
   */
  public metricSyncFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.members.metricSyncFailures(props);
  }
}
