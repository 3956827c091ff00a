import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { MemberAccount } from './member-account';
import { OrganizationSourceProps } from './organization-sources';
import { MembersResource } from './private/members-resource';
import { MACIE } from './private/services/macie/definition';
import { checkMessage } from './private/target-check';

/**
 * Properties of `MacieMembers`.
 */
export interface MacieMembersProps extends OrganizationSourceProps {
  /**
   * The member accounts. More can be added with `addMember()`.
   *
   * @default - none
   */
  readonly members?: MemberAccount[];

  /**
   * Invite members left in the Created state (accounts outside the administrator's organization)
   * with CreateInvitations. Organization accounts are enabled by CreateMember and never invited.
   *
   * @default true
   */
  readonly invite?: boolean;

  /**
   * Message included in the invitation email, 1 to 80 characters (Macie's limit).
   *
   * @default - Macie's standard invitation
   */
  readonly invitationMessage?: string;

  /**
   * Invite without sending an email notification to the member account's root user.
   *
   * @default false
   */
  readonly disableEmailNotification?: boolean;

  /**
   * What happens to the members when this resource leaves the stack or the stack is deleted.
   * `DESTROY` removes the members this resource holds that no other declaration holds
   * (DisassociateMember, then DeleteMember); `RETAIN` (or `RETAIN_ON_UPDATE_OR_DELETE`) leaves
   * them. Either way the resource's claim in the ownership ledger is deleted. `SNAPSHOT` is refused.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The most members one deployment may remove: a deployment that would remove more fails
   * before changing anything (an empty or truncated account list looks like that).
   *
   * @default - no limit while the previous declaration held fewer than 10 accounts, else 25% of it, rounded up
   */
  readonly maxRemovals?: number;

  /**
   * Fail the deployment when Macie refuses accounts (after checking live state). When false, the
   * deployment succeeds, and the accounts are logged and counted in the `Unprocessed` attribute.
   *
   * @default true
   */
  readonly failOnUnprocessed?: boolean;
}

/**
 * Amazon Macie member accounts of the administrator (the stack account's Macie in the stack's
 * region), reconciled whenever the declaration is deployed.
 *
 * Macie takes one account per call: each missing account is created with its own CreateMember
 * (at most 16 in flight, throttled calls sent again after a jittered pause); organization
 * accounts are enabled at once, the others are invited with CreateInvitations, 50 a call.
 * Accounts no longer declared are removed (DisassociateMember, then DeleteMember) unless another
 * declaration holds them; members that no declaration holds are never touched.
 *
 * @exampleMetadata fixture=members
 * @example
 * const macieMembers = new MacieMembers(this, 'MacieMembers', {
 *   members: [
 *     { accountId: '222222222222', email: 'aws-workloads@example.com' },
 *   ],
 * });
 * macieMembers.addMember({ accountId: '333333333333', email: 'aws-sandbox@example.com' });
 */
export class MacieMembers extends Construct {
  /**
   * The custom resource. Its attributes `Created`, `Invited`, `Removed`, `Unchanged`,
   * `Unprocessed` and `Disabled` count the accounts of the last deployment. `Target` is
   * `macie2:<region>`.
   */
  public readonly resource: CustomResource;

  private readonly members: MembersResource;

  constructor(scope: Construct, id: string, props: MacieMembersProps = {}) {
    super(scope, id);
    checkMessage(this, MACIE, 'invitationMessage', props.invitationMessage);
    this.members = new MembersResource(this, {
      service: MACIE,
      props,
      properties: {
        Invite: props.invite ?? true,
        Message: props.invitationMessage,
        DisableEmailNotification: props.disableEmailNotification ?? false,
        MemberRemoval: 'DELETE',
      },
    });
    this.resource = this.members.resource;
  }

  /**
   * Declare one more member account.
   *
   * @exampleMetadata fixture=members
   * @example
   * macieMembers.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });
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
   * macieMembers.metricSyncFailures({ period: Duration.days(1) }).createAlarm(this, 'SyncFailures', {
   *   threshold: 1,
   *   evaluationPeriods: 1,
   *   treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   * });
   */
  public metricSyncFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.members.metricSyncFailures(props);
  }
}
