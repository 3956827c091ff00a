import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { GuardDutyProtectionPlans } from './guardduty-protection-plans';
import { MemberAccount } from './member-account';
import { OrganizationSourceProps } from './organization-sources';
import { validationError } from './private/errors';
import { MembersResource } from './private/members-resource';
import { GUARDDUTY } from './private/services/guardduty/definition';
import { PlanProblem, plansAsSettings, plansProperty } from './private/services/guardduty/plans';
import { checkMessage } from './private/target-check';

/**
 * What happens to a GuardDuty member that is no longer declared.
 */
export enum GuardDutyMemberRemoval {
  /**
   * DisassociateMembers only: the member's details stay with the detector, so InviteMembers
   * can bring it back without CreateMembers.
   */
  DISASSOCIATE = 'DISASSOCIATE',

  /**
   * DisassociateMembers, then DeleteMembers: the member's details are deleted too.
   */
  DELETE = 'DELETE',
}

/**
 * Properties of `GuardDutyMembers`.
 */
export interface GuardDutyMembersProps extends OrganizationSourceProps {
  /**
   * The administrator's detector in this stack's region. A token is fine.
   *
   * @default - the region's detector, found with ListDetectors at deploy time
   */
  readonly detectorId?: string;

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
   * Message included in the invitation email, 1 to 1,000 characters.
   *
   * @default - GuardDuty's standard invitation
   */
  readonly invitationMessage?: string;

  /**
   * Invite without sending an email notification to the member account's root user.
   *
   * @default false
   */
  readonly disableEmailNotification?: boolean;

  /**
   * What happens to a member that is no longer declared.
   *
   * @default GuardDutyMemberRemoval.DELETE
   */
  readonly memberRemoval?: GuardDutyMemberRemoval;

  /**
   * What happens to the members when this resource leaves the stack or the stack is deleted.
   * `DESTROY` removes the members this resource holds that no other declaration holds (as
   * `memberRemoval` says); `RETAIN` (or `RETAIN_ON_UPDATE_OR_DELETE`) leaves them. Either way the
   * resource's claim in the ownership ledger is deleted. `SNAPSHOT` is refused.
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
   * Fail the deployment when GuardDuty leaves accounts unprocessed (after checking live state).
   * When false, the deployment succeeds, and the accounts are logged and counted in the
   * `Unprocessed` attribute.
   *
   * @default true
   */
  readonly failOnUnprocessed?: boolean;

  /**
   * The protection plans of every declared member: applied to the members associated with the
   * detector (organization accounts at once, invited accounts once they accept; the others are
   * counted in the `PlansPending` attribute and applied by the next deployment or sync). A plan
   * left out is never changed.
   *
   * @default - no plan managed
   */
  readonly protectionPlans?: GuardDutyProtectionPlans;
}

/**
 * GuardDuty member accounts of an administrator detector, reconciled whenever the declaration
 * is deployed.
 *
 * The live membership is made to match the declaration: missing accounts are created (and
 * invited), accounts no longer declared leave the detector unless another declaration holds
 * them (the ownership ledger), and members that no declaration holds are never touched.
 * Accounts GuardDuty leaves unprocessed fail the deployment with their reasons; a failed
 * deployment's rollback leaves the membership as it was.
 *
 * @exampleMetadata fixture=members
 * @example
 * const members = new GuardDutyMembers(this, 'GuardDutyMembers', {
 *   members: [
 *     { accountId: '222222222222', email: 'aws-workloads@example.com' },
 *     { accountId: '333333333333', email: 'aws-sandbox@example.com' },
 *   ],
 * });
 * members.addMember({ accountId: '444444444444', email: 'aws-data@example.com' });
 */
export class GuardDutyMembers extends Construct {
  /**
   * The ID of the detector whose members this resource manages (given or discovered).
   *
   * @attribute
   */
  public readonly detectorId: string;

  /**
   * The custom resource. Its attributes `Created`, `Invited`, `Removed`, `Unchanged`,
   * `Unprocessed` and `Disabled` count the accounts of the last deployment.
   */
  public readonly resource: CustomResource;

  private readonly members: MembersResource;

  constructor(scope: Construct, id: string, props: GuardDutyMembersProps = {}) {
    super(scope, id);
    checkMessage(this, GUARDDUTY, 'invitationMessage', props.invitationMessage);
    const memberRemoval = props.memberRemoval ?? GuardDutyMemberRemoval.DELETE;
    if (!Object.values(GuardDutyMemberRemoval).includes(memberRemoval)) {
      throw validationError(this, 'InvalidMemberRemoval', `memberRemoval '${String(memberRemoval)}' is not one of ${Object.values(GuardDutyMemberRemoval).join(', ')}`);
    }
    const plans = this.protectionPlansProperty(props.protectionPlans);
    this.members = new MembersResource(this, {
      service: GUARDDUTY,
      target: props.detectorId,
      props,
      properties: {
        Invite: props.invite ?? true,
        Message: props.invitationMessage,
        DisableEmailNotification: props.disableEmailNotification ?? false,
        MemberRemoval: memberRemoval,
        // Only when used: a construct without plans synthesizes as before.
        ...(plans.length > 0 ? { ProtectionPlans: plans } : {}),
      },
      settings: plans.length > 0 ? { property: 'protectionPlans', values: plansAsSettings(plans) } : undefined,
    });
    this.resource = this.members.resource;
    this.detectorId = this.resource.ref;
  }

  /**
   * The number of accounts whose protection plans the last deployment (or sync) changed.
   * Zero without `protectionPlans`.
   */
  public get attrPlansChanged(): string {
    return this.resource.getAttString('PlansChanged');
  }

  /**
   * The number of declared members that cannot take protection plans yet (not associated:
   * invited accounts until they accept). Zero without `protectionPlans`.
   */
  public get attrPlansPending(): string {
    return this.resource.getAttString('PlansPending');
  }

  private protectionPlansProperty(plans: GuardDutyProtectionPlans | undefined) {
    if (plans === undefined) return [];
    try {
      return plansProperty(plans);
    } catch (err) {
      if (err instanceof PlanProblem) throw validationError(this, err.code, err.message);
      throw err;
    }
  }

  /**
   * Declare one more member account.
   *
   * @exampleMetadata fixture=members
   * @example
   * members.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });
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
   * members.metricSyncFailures({ period: Duration.days(1) }).createAlarm(this, 'SyncFailures', {
   *   threshold: 1,
   *   evaluationPeriods: 1,
   *   treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   * });
   */
  public metricSyncFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.members.metricSyncFailures(props);
  }
}
