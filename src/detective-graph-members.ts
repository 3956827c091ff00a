import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MemberAccount } from './member-account';
import { DeclaredMembers } from './private/declared-members';
import { MembersProvider, SERVICE_TIMEOUT } from './private/members-provider';
import { ReconcileProperties } from './private/properties';
import { checkRemovalPolicy } from './private/removal-policy';
import { DETECTIVE } from './private/services/detective/definition';
import { checkMessage, checkTarget } from './private/target-check';

/**
 * Properties of {@link DetectiveGraphMembers}.
 */
export interface DetectiveGraphMembersProps {
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
   * `DESTROY` removes the declared members from the graph; `RETAIN` leaves them.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

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
 * Detective behavior-graph member accounts, reconciled on every deployment.
 *
 * Missing accounts are created (Detective's CreateMembers invites them, or enables organization
 * accounts), members no longer declared are removed with DeleteMembers, and accounts that this
 * resource never declared are never touched. Accounts Detective leaves unprocessed fail the
 * deployment with their reasons; "already a member" answers are checked and accepted.
 *
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
   * The custom resource. Its attributes `Created`, `Invited`, `Removed`, `Unchanged` and
   * `Unprocessed` count the accounts of the last deployment.
   */
  public readonly resource: CustomResource;

  private readonly declared: DeclaredMembers;

  constructor(scope: Construct, id: string, props: DetectiveGraphMembersProps = {}) {
    super(scope, id);
    const graphArn = props.graphArn;
    checkTarget(this, DETECTIVE, graphArn);
    const message = props.message;
    checkMessage(this, DETECTIVE, 'message', message);
    const removalPolicy = checkRemovalPolicy(this, props.removalPolicy);

    this.declared = new DeclaredMembers(this, DETECTIVE);
    (props.members ?? []).forEach((member, i) => this.declared.add(member, `members[${i}]`));

    const provider = MembersProvider.of(this);
    provider.allow(DETECTIVE, graphArn === undefined);

    const properties: ReconcileProperties = {
      Service: DETECTIVE.name,
      GraphArn: graphArn,
      ...this.declared.lazyProperties(),
      Message: message,
      DisableEmailNotification: props.disableEmailNotification ?? false,
      FailOnUnprocessed: props.failOnUnprocessed ?? true,
    };

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: DETECTIVE.resourceType,
      removalPolicy,
      serviceTimeout: SERVICE_TIMEOUT,
      properties: { ...properties },
    });
    this.graphArn = this.resource.ref;
  }

  /**
   * Declare one more member account.
   *
   * @example
   * graphMembers.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });
   */
  public addMember(member: MemberAccount): void {
    this.declared.add(member, 'addMember()');
  }
}
