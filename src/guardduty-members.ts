import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MemberAccount } from './member-account';
import { DeclaredMembers } from './private/declared-members';
import { MembersProvider, SERVICE_TIMEOUT } from './private/members-provider';
import { ReconcileProperties } from './private/properties';
import { checkRemovalPolicy } from './private/removal-policy';
import { GUARDDUTY } from './private/services/guardduty/definition';
import { checkMessage, checkTarget } from './private/target-check';

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
 * Properties of {@link GuardDutyMembers}.
 */
export interface GuardDutyMembersProps {
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
   * `DESTROY` removes the declared members (as `memberRemoval` says); `RETAIN` leaves them.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Fail the deployment when GuardDuty leaves accounts unprocessed (after checking live state).
   * When false, the deployment succeeds, and the accounts are logged and counted in the
   * `Unprocessed` attribute.
   *
   * @default true
   */
  readonly failOnUnprocessed?: boolean;
}

/**
 * GuardDuty member accounts of an administrator detector, reconciled on every deployment.
 *
 * The live membership is made to match the declaration: missing accounts are created (and
 * invited), members no longer declared are removed, accounts that this resource never declared
 * are never touched. Accounts GuardDuty leaves unprocessed fail the deployment with their
 * reasons.
 *
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
   * The custom resource. Its attributes `Created`, `Invited`, `Removed`, `Unchanged` and
   * `Unprocessed` count the accounts of the last deployment.
   */
  public readonly resource: CustomResource;

  private readonly declared: DeclaredMembers;

  constructor(scope: Construct, id: string, props: GuardDutyMembersProps = {}) {
    super(scope, id);
    const detectorId = props.detectorId;
    checkTarget(this, GUARDDUTY, detectorId);
    checkMessage(this, GUARDDUTY, 'invitationMessage', props.invitationMessage);
    const memberRemoval = props.memberRemoval ?? GuardDutyMemberRemoval.DELETE;
    if (!Object.values(GuardDutyMemberRemoval).includes(memberRemoval)) {
      throw new Error(`${this.node.path}: memberRemoval '${String(memberRemoval)}' is not one of ${Object.values(GuardDutyMemberRemoval).join(', ')}`);
    }
    const removalPolicy = checkRemovalPolicy(this, props.removalPolicy);

    this.declared = new DeclaredMembers(this, GUARDDUTY);
    (props.members ?? []).forEach((member, i) => this.declared.add(member, `members[${i}]`));

    const provider = MembersProvider.of(this);
    provider.allow(GUARDDUTY, detectorId === undefined);

    const properties: ReconcileProperties = {
      Service: GUARDDUTY.name,
      DetectorId: detectorId,
      ...this.declared.lazyProperties(),
      Invite: props.invite ?? true,
      Message: props.invitationMessage,
      DisableEmailNotification: props.disableEmailNotification ?? false,
      MemberRemoval: memberRemoval,
      FailOnUnprocessed: props.failOnUnprocessed ?? true,
    };

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: GUARDDUTY.resourceType,
      removalPolicy,
      serviceTimeout: SERVICE_TIMEOUT,
      properties: { ...properties },
    });
    this.detectorId = this.resource.ref;
  }

  /**
   * Declare one more member account.
   *
   * @example
   * members.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });
   */
  public addMember(member: MemberAccount): void {
    this.declared.add(member, 'addMember()');
  }
}
