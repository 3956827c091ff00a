/**
 * GuardDuty protection plans per member and the organization configuration, as the delegated
 * administrator sees them (test code, never shipped): GetMemberDetectors, UpdateMemberDetectors
 * and DescribeOrganizationConfiguration with the services' rules. MemberModel extends this
 * class, so that tests set these facts on `endpoint.model` next to the members they concern.
 */
import { ServiceError } from './wire';

export type FeatureStatus = 'ENABLED' | 'DISABLED';
export type AutoEnableMembers = 'NEW' | 'ALL' | 'NONE';

/** One feature of one member as tests read and set it, its additional configuration by name. */
export interface FeatureState {
  readonly status: FeatureStatus;
  readonly additionalConfiguration?: Record<string, FeatureStatus>;
}
/** A member's features by name (S3_DATA_EVENTS, RUNTIME_MONITORING, AI_PROTECTION, ...). */
export type FeatureStates = Record<string, FeatureState>;

/** One feature of an UpdateMemberDetectors request, validated. */
export interface FeatureRequest {
  readonly name: string;
  readonly status: FeatureStatus;
  readonly additionalConfiguration: readonly { readonly name: string; readonly status: FeatureStatus }[];
}

interface Stored { status: FeatureStatus; updatedAt: number }
interface StoredFeature extends Stored { readonly additional: Map<string, Stored> }

/** As GuardDuty words it (aws-security-reference-architecture-examples issue #151), grammar included. */
export const NOT_ASSOCIATED = 'The request is rejected because the given account ID is not an associated member of account the current account.';
/** GuardDuty's answer to a value out of its model (an enum, a length). */
export const INVALID_INPUT = 'The request is rejected because an invalid or out-of-range value is specified as an input parameter.';
export const BOTH_RUNTIME_FEATURES = 'The request is rejected because EKS_RUNTIME_MONITORING and RUNTIME_MONITORING cannot be provided in the same request.';
/** What GuardDuty answers an account that is not the organization's delegated administrator (SRA issue #141). */
export const NOT_DELEGATED_ADMINISTRATOR = 'The request failed because you do not have required AWS Organization master permission.';
export const policyManagedReason = (names: readonly string[]) =>
  `The request is rejected because ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} managed by an AWS Organizations GuardDuty policy (GUARDDUTY_POLICY) for the given account ID.`;

const RUNTIME_AGENTS = { EKS_ADDON_MANAGEMENT: 'DISABLED', ECS_FARGATE_AGENT_MANAGEMENT: 'DISABLED', EC2_AGENT_MANAGEMENT: 'DISABLED' } as const;
/**
 * What a newly associated member's detector has: the plans a new GuardDuty account gets, with
 * Runtime Monitoring (opt-in, agents billed by the host) off.
 */
const DEFAULT_FEATURES: FeatureStates = {
  S3_DATA_EVENTS: { status: 'ENABLED' },
  EKS_AUDIT_LOGS: { status: 'ENABLED' },
  EBS_MALWARE_PROTECTION: { status: 'ENABLED' },
  RDS_LOGIN_EVENTS: { status: 'ENABLED' },
  LAMBDA_NETWORK_LOGS: { status: 'ENABLED' },
  RUNTIME_MONITORING: { status: 'DISABLED', additionalConfiguration: RUNTIME_AGENTS },
};

const requestsOf = (states: FeatureStates): FeatureRequest[] => Object.entries(states).map(([name, f]) => ({
  name,
  status: f.status,
  additionalConfiguration: Object.entries(f.additionalConfiguration ?? {}).map(([config, status]) => ({ name: config, status })),
}));

/** Epoch seconds: REST-JSON's default timestamp format, which the SDK parses into a Date. */
const seconds = (ms: number) => ms / 1000;

export abstract class GuardDutyPlans {
  abstract readonly guardDuty: ReadonlyMap<string, { readonly status: string }>;
  abstract readonly organization: ReadonlySet<string>;
  /** A newly associated member's features; change it before the member is first read or updated. */
  defaultFeatures: FeatureStates = structuredClone(DEFAULT_FEATURES);
  /**
   * An organization account CreateMembers adds answers "not an associated member" to this many
   * of its next GetMemberDetectors/UpdateMemberDetectors calls: auto-enable is still rolling out
   * (Terraform provider PR #35625, SRA issue #151).
   */
  associationDelayCalls = 0;
  /** Those calls still to come, per account; a test may set an account's count directly. */
  readonly rollout = new Map<string, number>();
  /** Features an Organizations GUARDDUTY_POLICY manages, per account: read-only through the API, for organization accounts only. */
  readonly policyManaged = new Map<string, string[]>();
  /**
   * True: an account the member detector calls cannot serve fails the whole call (HTTP 400,
   * BadRequestException with the account's reason) instead of being listed unprocessed: what
   * the single-account refusals reported in the Terraform provider look like for a batch.
   */
  refusesWholeCall = false;
  /** False: this account is not the organization's delegated administrator for GuardDuty. */
  delegatedAdministrator = true;
  autoEnableOrganizationMembers: AutoEnableMembers = 'NEW';
  memberAccountLimit = 50_000;
  /** Set to override what DescribeOrganizationConfiguration computes from memberAccountLimit. */
  memberAccountLimitReached?: boolean;
  private readonly plans = new Map<string, Map<string, StoredFeature>>();
  /** The clock of updatedAt in milliseconds; a test may set its own. */
  clock: () => number = () => Date.now();

  /** With auto-enable ALL, organization members cannot be disassociated or deleted (GuardDuty). */
  get autoEnableAll(): boolean {
    return this.autoEnableOrganizationMembers === 'ALL';
  }

  set autoEnableAll(all: boolean) {
    this.autoEnableOrganizationMembers = all ? 'ALL' : 'NEW';
  }

  /** A member's features as a plain object (the defaults until it has had its own). */
  features(accountId: string): FeatureStates {
    return Object.fromEntries([...this.plan(accountId)].map(([name, f]) => [name, f.additional.size
      ? { status: f.status, additionalConfiguration: Object.fromEntries([...f.additional].map(([n, c]) => [n, c.status])) }
      : { status: f.status }]));
  }

  /** Changes a member's features as someone else would (drift): merged into what it has, updatedAt moving. */
  setFeatures(accountId: string, states: FeatureStates) {
    this.apply(accountId, requestsOf(states));
  }

  /**
   * CreateMembers added an organization account: the organization's auto-enable settings are
   * applied to it, whether it is new or came back (what they enable is enabled, the rest left as
   * it is), and its plans answer only after the delay.
   */
  protected gdJoined(accountId: string) {
    if (this.autoEnableOrganizationMembers !== 'NONE') {
      const enabled = requestsOf(this.defaultFeatures).filter((f) => f.status === 'ENABLED')
        .map((f) => ({ ...f, additionalConfiguration: f.additionalConfiguration.filter((c) => c.status === 'ENABLED') }));
      this.apply(accountId, enabled);
    }
    if (this.associationDelayCalls > 0) this.rollout.set(accountId, this.associationDelayCalls);
  }

  gdGetDetectors(accountIds: string[]) {
    const members: object[] = [];
    const unprocessedAccounts: { accountId: string; result: string }[] = [];
    for (const accountId of accountIds) {
      if (this.notAssociated(accountId)) {
        unprocessedAccounts.push({ accountId, result: NOT_ASSOCIATED });
      } else {
        members.push(this.detectorWire(accountId));
      }
    }
    this.refuseWholeCall(unprocessedAccounts);
    return { members, unprocessedAccounts };
  }

  /** Each account all or nothing; naming both runtime features fails the whole call. */
  gdUpdateDetectors(accountIds: string[], requested: FeatureRequest[]) {
    const names = requested.map((f) => f.name);
    if (names.includes('EKS_RUNTIME_MONITORING') && names.includes('RUNTIME_MONITORING')) {
      throw new ServiceError(400, 'BadRequestException', BOTH_RUNTIME_FEATURES);
    }
    const unprocessedAccounts: { accountId: string; result: string }[] = [];
    const accepted: string[] = [];
    for (const accountId of accountIds) {
      const managed = this.managedFeatures(accountId).filter((name) => names.includes(name));
      if (this.notAssociated(accountId)) {
        unprocessedAccounts.push({ accountId, result: NOT_ASSOCIATED });
      } else if (managed.length > 0) {
        unprocessedAccounts.push({ accountId, result: policyManagedReason(managed) });
      } else {
        accepted.push(accountId);
      }
    }
    this.refuseWholeCall(unprocessedAccounts);
    accepted.forEach((accountId) => this.apply(accountId, requested));
    return { unprocessedAccounts };
  }

  /** With refusesWholeCall, one unfit account fails the whole request, changing nothing, as a BadRequestException with its reason. */
  private refuseWholeCall(unprocessed: readonly { accountId: string; result: string }[]) {
    if (this.refusesWholeCall && unprocessed.length > 0) throw new ServiceError(400, 'BadRequestException', unprocessed[0].result);
  }

  gdOrganizationConfiguration() {
    if (!this.delegatedAdministrator) throw new ServiceError(400, 'BadRequestException', NOT_DELEGATED_ADMINISTRATOR);
    const mode = this.autoEnableOrganizationMembers;
    const autoEnable = (...statuses: (FeatureStatus | undefined)[]) => (statuses.every((s) => s === 'ENABLED') ? mode : 'NONE');
    const features = Object.entries(this.defaultFeatures).map(([name, f]) => {
      const configs = Object.entries(f.additionalConfiguration ?? {});
      return {
        name,
        autoEnable: autoEnable(f.status),
        additionalConfiguration: configs.length
          ? configs.map(([config, status]) => ({ name: config, autoEnable: autoEnable(f.status, status) }))
          : undefined,
      };
    });
    const on = (name: string) => autoEnable(this.defaultFeatures[name]?.status) !== 'NONE';
    return {
      autoEnable: mode !== 'NONE',
      autoEnableOrganizationMembers: mode,
      memberAccountLimitReached: this.memberAccountLimitReached ?? this.guardDuty.size >= this.memberAccountLimit,
      features,
      dataSources: {
        s3Logs: { autoEnable: on('S3_DATA_EVENTS') },
        kubernetes: { auditLogs: { autoEnable: on('EKS_AUDIT_LOGS') } },
        malwareProtection: { scanEc2InstanceWithFindings: { ebsVolumes: { autoEnable: on('EBS_MALWARE_PROTECTION') } } },
      },
    };
  }

  /** Only an Enabled member's plans can be read or set; one just added by the organization counts down its delay first. */
  private notAssociated(accountId: string): boolean {
    if (this.guardDuty.get(accountId)?.status !== 'Enabled') return true;
    const left = this.rollout.get(accountId) ?? 0;
    if (left <= 0) return false;
    this.rollout.set(accountId, left - 1);
    return true;
  }

  private managedFeatures(accountId: string): string[] {
    return this.organization.has(accountId) ? this.policyManaged.get(accountId) ?? [] : [];
  }

  /** A member's stored features, from the defaults the first time. */
  private plan(accountId: string): Map<string, StoredFeature> {
    let plan = this.plans.get(accountId);
    if (!plan) {
      const at = this.clock();
      plan = new Map(requestsOf(this.defaultFeatures).map((f) => [f.name, {
        status: f.status,
        updatedAt: at,
        additional: new Map(f.additionalConfiguration.map((c) => [c.name, { status: c.status, updatedAt: at }])),
      }]));
      this.plans.set(accountId, plan);
    }
    return plan;
  }

  /** Sets the statuses asked for; updatedAt moves where a status changes (a feature's too when one of its configurations does). */
  private apply(accountId: string, requested: readonly FeatureRequest[]) {
    const plan = this.plan(accountId);
    const at = this.clock();
    const set = (stored: Stored, status: FeatureStatus) => {
      if (stored.status === status) return false;
      stored.status = status;
      stored.updatedAt = at;
      return true;
    };
    for (const f of requested) {
      const feature = plan.get(f.name) ?? { status: f.status, updatedAt: at, additional: new Map<string, Stored>() };
      plan.set(f.name, feature);
      let changed = set(feature, f.status);
      for (const c of f.additionalConfiguration) {
        const config = feature.additional.get(c.name);
        if (config) {
          changed = set(config, c.status) || changed;
        } else {
          feature.additional.set(c.name, { status: c.status, updatedAt: at });
          changed = true;
        }
      }
      if (changed) feature.updatedAt = at;
    }
  }

  /** One member in GetMemberDetectors: its features, and the deprecated dataSources derived from them. */
  private detectorWire(accountId: string) {
    const plan = this.plan(accountId);
    const managed = this.managedFeatures(accountId);
    const status = (name: string) => plan.get(name)?.status ?? 'DISABLED';
    const features = [...plan].map(([name, f]) => {
      const managedBy = managed.includes(name) ? 'GUARDDUTY_POLICY' : undefined;
      const configs = [...f.additional].map(([config, c]) => ({ name: config, status: c.status, updatedAt: seconds(c.updatedAt), managedBy }));
      return { name, status: f.status, updatedAt: seconds(f.updatedAt), additionalConfiguration: configs.length ? configs : undefined, managedBy };
    });
    return {
      accountId,
      dataSources: {
        cloudTrail: { status: 'ENABLED' },
        dnsLogs: { status: 'ENABLED' },
        flowLogs: { status: 'ENABLED' },
        s3Logs: { status: status('S3_DATA_EVENTS') },
        kubernetes: { auditLogs: { status: status('EKS_AUDIT_LOGS') } },
        malwareProtection: { scanEc2InstanceWithFindings: { ebsVolumes: { status: status('EBS_MALWARE_PROTECTION') } } },
      },
      features,
    };
  }
}
