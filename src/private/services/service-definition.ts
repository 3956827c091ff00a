/**
 * What one member service is, as data: the constructs, the provider and the handler read it.
 * No CDK or SDK imports, so it compiles into the library and bundles into the handler alike.
 */

/** The IAM resource the member actions apply to, formatted in the stack's partition, region and account. */
export interface TargetArn {
  /** `detector`, `graph`, `hub`. */
  readonly resource: string;
  /** `*` for any target of the account and region, or a fixed name (`default`). */
  readonly resourceName: string;
  /** `detector/...` or `graph:...`. */
  readonly separator: '/' | ':';
}

export interface ServiceDefinition {
  /** The `Service` property value and the name in reasons and logs, e.g. `GuardDuty`. */
  readonly name: string;
  /** The custom resource type, e.g. `Custom::GuardDutyMembers`. */
  readonly resourceType: string;
  /** The service's IAM action prefix, e.g. `guardduty`. */
  readonly iamPrefix: string;
  readonly target: {
    /** What a target is called in messages: `detector`, `behavior graph`. */
    readonly noun: string;
    /** The construct prop that names the target (`detectorId`), when the user may name one. */
    readonly prop?: string;
    /** The resource property carrying that target (`DetectorId`), when the user may name one. */
    readonly property?: string;
    /** The resource attribute that answers the target managed (`DetectorId`, `GraphArn`). */
    readonly attribute: string;
    /** Absent: the service's member actions support no resource-level permissions (granted on `*`). */
    readonly arn?: TargetArn;
  };
  /** Member actions, granted on the target ARN. */
  readonly memberActions: readonly string[];
  /** Actions that find the target when none is named; they support no resource-level permissions. */
  readonly discoveryActions: readonly string[];
  /** Actions on the members' settings (GuardDuty's protection plans), granted on the target only when a construct declares settings. */
  readonly settingsActions?: readonly string[];
  /** The longest invitation message the service takes, when it takes one. */
  readonly messageMaxLength?: number;
  /** Members one administrator (or target) may hold. */
  readonly quota: number;
  /** `per administrator account`, `per behavior graph`. */
  readonly quotaUnit: string;
  /** The target's name in the ownership ledger's parameter paths (`/cdk-security-members/<iamPrefix>/<ledgerId>/`). */
  ledgerId(target: string): string;
  /**
   * Checks a target named by value (tokens are never passed in). Returns what is wrong, naming
   * the prop and the value, or undefined. `env` holds the stack's account and region when known.
   */
  checkTarget?(value: string, env: { readonly account?: string; readonly region?: string }): string | undefined;
}
