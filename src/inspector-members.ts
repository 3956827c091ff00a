import { CustomResource, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { OrganizationSourceProps } from './organization-sources';
import { validationError } from './private/errors';
import { MembersResource } from './private/members-resource';
import { INSPECTOR } from './private/services/inspector/definition';

/**
 * What Amazon Inspector scans in a member account: the `resourceTypes` of Inspector's `Enable`.
 */
export enum InspectorScanType {
  /** Amazon EC2 instances. */
  EC2 = 'EC2',
  /** Amazon ECR container images. */
  ECR = 'ECR',
  /** AWS Lambda functions (standard scanning). */
  LAMBDA = 'LAMBDA',
  /** AWS Lambda functions' code. */
  LAMBDA_CODE = 'LAMBDA_CODE',
  /** Code repositories. */
  CODE_REPOSITORY = 'CODE_REPOSITORY',
}

/**
 * Properties of `InspectorMembers`.
 */
export interface InspectorMembersProps extends OrganizationSourceProps {
  /**
   * The member accounts, by ID: accounts of the administrator's organization (Inspector has no
   * invitations). More can be added with `addAccount()`.
   *
   * @default - none
   */
  readonly accountIds?: string[];

  /**
   * The scan types enabled in every member (Inspector's `Enable`, for the members whose scan
   * types differ). A scan type left out is never changed, and none is ever turned off.
   *
   * @default - no scan type managed
   */
  readonly scanTypes?: InspectorScanType[];

  /**
   * What happens to the members when this resource leaves the stack or the stack is deleted.
   * `DESTROY` disassociates the members this resource holds that no other declaration holds;
   * `RETAIN` (or `RETAIN_ON_UPDATE_OR_DELETE`) leaves them. Either way the resource's claim in
   * the ownership ledger is deleted. `SNAPSHOT` is refused.
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
   * Fail the deployment when an account cannot be associated (Inspector refused it, or the
   * association ended in a failed state) or a scan type cannot be enabled. When false, the
   * deployment succeeds, and the accounts are logged and counted in the `Unprocessed` attribute.
   *
   * @default true
   */
  readonly failOnUnprocessed?: boolean;
}

/**
 * Amazon Inspector member accounts of the delegated administrator (the stack account's Inspector
 * in the stack's region), reconciled whenever the declaration is deployed.
 *
 * Inspector takes one account per call, and its association is asynchronous: the deployment
 * waits until each account's association has ended (ENABLED, or a failed state that fails the
 * deployment with its reason), continuing across invocations for large declarations. Accounts no
 * longer declared are disassociated unless another declaration holds them; members that no
 * declaration holds are never touched.
 *
 * @exampleMetadata fixture=members
 * @example
 * const inspectorMembers = new InspectorMembers(this, 'InspectorMembers', {
 *   accountIds: ['222222222222', '333333333333'],
 *   scanTypes: [InspectorScanType.EC2, InspectorScanType.ECR, InspectorScanType.LAMBDA],
 * });
 * inspectorMembers.addAccount('444444444444');
 */
export class InspectorMembers extends Construct {
  /**
   * The custom resource. Its attributes `Created`, `Removed`, `Unchanged`, `Unprocessed` and
   * `Disabled` count the accounts of the last deployment; with `scanTypes`, `PlansChanged` counts
   * the accounts whose scan types it enabled. `Target` is `inspector2:<region>`.
   */
  public readonly resource: CustomResource;

  private readonly members: MembersResource;

  constructor(scope: Construct, id: string, props: InspectorMembersProps = {}) {
    super(scope, id);
    const scanTypes = this.checkScanTypes(props.scanTypes);
    const settings = Object.fromEntries(scanTypes.map((type) => [type, 'ENABLED']));
    this.members = new MembersResource(this, {
      service: INSPECTOR,
      props,
      properties: {
        Invite: false,
        // Disassociating is removing: Inspector keeps no member record to delete.
        MemberRemoval: 'DISASSOCIATE',
        ...(scanTypes.length > 0 ? { ScanTypes: scanTypes } : {}),
      },
      settings: scanTypes.length > 0 ? { property: 'scanTypes', values: settings } : undefined,
    });
    // A plain loop: an error's trace then goes from the constructor straight to the user's code.
    for (const [i, accountId] of (props.accountIds ?? []).entries()) {
      this.members.declared.addAccount(accountId, `accountIds[${i}]`);
    }
    this.resource = this.members.resource;
  }

  /** `scanTypes`, checked: known scan types, none twice (tokens pass). */
  private checkScanTypes(scanTypes: InspectorScanType[] | undefined): string[] {
    if (scanTypes === undefined || Token.isUnresolved(scanTypes)) return scanTypes ?? [];
    const known = Object.values(InspectorScanType) as string[];
    const seen = new Set<string>();
    for (const [i, type] of scanTypes.entries()) {
      if (!known.includes(type)) {
        throw validationError(this, 'InvalidScanType', `scanTypes[${i}] '${String(type)}' is not one of ${known.join(', ')}`);
      }
      if (seen.has(type)) throw validationError(this, 'InvalidScanType', `scanTypes[${i}] '${type}' is listed twice`);
      seen.add(type);
    }
    return [...scanTypes];
  }

  /**
   * Declare one more member account, by ID.
   *
   * @exampleMetadata fixture=members
   * @example
   * inspectorMembers.addAccount('555555555555');
   */
  public addAccount(accountId: string): void {
    this.members.declared.addAccount(accountId, 'addAccount()');
  }

  /**
   * Scheduled syncs of this resource that failed (`syncSchedule`), as the metric
   * `CdkSecurityMembers/SyncFailures` with the dimensions `Service` and `Target`. A sync publishes
   * one data point when it fails and none otherwise. Statistic `Sum`, period 5 minutes unless
   * told; alarm on it with `treatMissingData: NOT_BREACHING`.
   *
   * @exampleMetadata fixture=members
   * @example
   * inspectorMembers.metricSyncFailures({ period: Duration.days(1) }).createAlarm(this, 'SyncFailures', {
   *   threshold: 1,
   *   evaluationPeriods: 1,
   *   treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   * });
   */
  public metricSyncFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.members.metricSyncFailures(props);
  }
}
