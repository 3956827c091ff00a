/**
 * One GuardDuty protection plan by its API name, for plans newer than the typed properties of
 * `GuardDutyProtectionPlans` (for example `AI_PROTECTION`).
 */
export interface GuardDutyFeature {
  /**
   * The feature's API name, as GuardDuty's UpdateMemberDetectors takes it: capital letters,
   * digits and underscores (`^[A-Z][A-Z0-9_]{1,63}$`). Never `EKS_RUNTIME_MONITORING` together
   * with `runtimeMonitoring` (GuardDuty refuses the two in one request).
   */
  readonly name: string;

  /** Whether the plan runs in the member accounts (ENABLED) or not (DISABLED). */
  readonly enabled: boolean;

  /**
   * The feature's additional configuration, by name.
   *
   * @default - none managed
   */
  readonly additionalConfiguration?: GuardDutyFeatureConfiguration[];
}

/**
 * One additional configuration of a GuardDuty protection plan (for example the agent
 * management of Runtime Monitoring), by its API name.
 */
export interface GuardDutyFeatureConfiguration {
  /** The configuration's API name (`^[A-Z][A-Z0-9_]{1,63}$`). */
  readonly name: string;

  /** ENABLED or DISABLED in the member accounts. */
  readonly enabled: boolean;
}

/**
 * The GuardDuty protection plans of a construct's members, applied to every declared member
 * associated with the detector (organization accounts at once, invited accounts once they
 * accept). A plan left `undefined` is not managed: its status is never changed. `true` and
 * `false` are ENABLED and DISABLED.
 *
 * @exampleMetadata fixture=members
 * @example
 * // Every plan for the production OU, with Runtime Monitoring's agent managed by GuardDuty.
 * new GuardDutyMembers(this, 'Production', {
 *   organizationalUnits: ['ou-ab12-11111111'],
 *   protectionPlans: {
 *     s3DataEvents: true,
 *     eksAuditLogs: true,
 *     ebsMalwareProtection: true,
 *     rdsLoginEvents: true,
 *     lambdaNetworkLogs: true,
 *     runtimeMonitoring: true,
 *     eksAddonManagement: true,
 *     ecsFargateAgentManagement: true,
 *     ec2AgentManagement: true,
 *   },
 * });
 * // S3 and malware protection only for the sandboxes.
 * new GuardDutyMembers(this, 'Sandboxes', {
 *   organizationalUnits: ['ou-ab12-22222222'],
 *   protectionPlans: { s3DataEvents: true, ebsMalwareProtection: true, eksAuditLogs: false, rdsLoginEvents: false },
 * });
 */
export interface GuardDutyProtectionPlans {
  /**
   * S3 Protection (`S3_DATA_EVENTS`).
   *
   * @default - not managed
   */
  readonly s3DataEvents?: boolean;

  /**
   * EKS Protection: audit log monitoring (`EKS_AUDIT_LOGS`).
   *
   * @default - not managed
   */
  readonly eksAuditLogs?: boolean;

  /**
   * Malware Protection for EC2: GuardDuty-initiated EBS scans (`EBS_MALWARE_PROTECTION`).
   *
   * @default - not managed
   */
  readonly ebsMalwareProtection?: boolean;

  /**
   * RDS Protection: login activity monitoring (`RDS_LOGIN_EVENTS`).
   *
   * @default - not managed
   */
  readonly rdsLoginEvents?: boolean;

  /**
   * Lambda Protection: network activity monitoring (`LAMBDA_NETWORK_LOGS`).
   *
   * @default - not managed
   */
  readonly lambdaNetworkLogs?: boolean;

  /**
   * Runtime Monitoring (`RUNTIME_MONITORING`), which supersedes EKS Runtime Monitoring.
   *
   * @default - not managed
   */
  readonly runtimeMonitoring?: boolean;

  /**
   * Runtime Monitoring's automated agent for EKS (`EKS_ADDON_MANAGEMENT`). Only with `runtimeMonitoring: true`.
   *
   * @default - not managed
   */
  readonly eksAddonManagement?: boolean;

  /**
   * Runtime Monitoring's automated agent for ECS on Fargate (`ECS_FARGATE_AGENT_MANAGEMENT`). Only with `runtimeMonitoring: true`.
   *
   * @default - not managed
   */
  readonly ecsFargateAgentManagement?: boolean;

  /**
   * Runtime Monitoring's automated agent for EC2 (`EC2_AGENT_MANAGEMENT`). Only with `runtimeMonitoring: true`.
   *
   * @default - not managed
   */
  readonly ec2AgentManagement?: boolean;

  /**
   * Plans newer than the properties above, by their API name (passed through as they are).
   *
   * @default - none
   */
  readonly additionalFeatures?: GuardDutyFeature[];
}
