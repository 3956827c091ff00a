/**
 * GuardDuty protection plans as the constructs write them (the `ProtectionPlans` property) and
 * as the handler reads them: flat settings, `FEATURE` or `FEATURE/CONFIGURATION` → `ENABLED` or
 * `DISABLED`, the engine's per-account settings. No CDK or SDK imports.
 */
import type { GuardDutyProtectionPlans } from '../../../guardduty-protection-plans';

export type PlanStatus = 'ENABLED' | 'DISABLED';

/** One plan in the resource properties (readable in `cdk diff`). */
export interface PlanProperty {
  readonly Name: string;
  readonly Status: PlanStatus;
  readonly AdditionalConfiguration?: { readonly Name: string; readonly Status: PlanStatus }[];
}

/** GuardDuty's own rule for a feature or configuration name. */
export const FEATURE_NAME = /^[A-Z][A-Z0-9_]{1,63}$/;
export const RUNTIME_MONITORING = 'RUNTIME_MONITORING';
export const EKS_RUNTIME_MONITORING = 'EKS_RUNTIME_MONITORING';

type TypedPlan = Exclude<keyof GuardDutyProtectionPlans, 'additionalFeatures' | 'eksAddonManagement' | 'ecsFargateAgentManagement' | 'ec2AgentManagement'>;
const FEATURES: readonly (readonly [TypedPlan, string])[] = [
  ['s3DataEvents', 'S3_DATA_EVENTS'],
  ['eksAuditLogs', 'EKS_AUDIT_LOGS'],
  ['ebsMalwareProtection', 'EBS_MALWARE_PROTECTION'],
  ['rdsLoginEvents', 'RDS_LOGIN_EVENTS'],
  ['lambdaNetworkLogs', 'LAMBDA_NETWORK_LOGS'],
  ['runtimeMonitoring', RUNTIME_MONITORING],
];
const RUNTIME_CONFIGURATIONS: readonly (readonly [keyof GuardDutyProtectionPlans, string])[] = [
  ['eksAddonManagement', 'EKS_ADDON_MANAGEMENT'],
  ['ecsFargateAgentManagement', 'ECS_FARGATE_AGENT_MANAGEMENT'],
  ['ec2AgentManagement', 'EC2_AGENT_MANAGEMENT'],
];

/** A problem with the declared plans, by error code. */
export class PlanProblem extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const status = (enabled: boolean): PlanStatus => (enabled ? 'ENABLED' : 'DISABLED');

function checkName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !FEATURE_NAME.test(name)) {
    throw new PlanProblem('InvalidProtectionPlanName', `${where} '${String(name)}' is not a GuardDuty feature name (capital letters, digits and _, as ^[A-Z][A-Z0-9_]{1,63}$)`);
  }
  return name;
}

/** The typed plans (Runtime Monitoring with its agent configurations). */
function typedPlans(plans: GuardDutyProtectionPlans): PlanProperty[] {
  const out: PlanProperty[] = [];
  for (const [prop, name] of FEATURES) {
    const enabled = plans[prop];
    if (enabled === undefined) continue;
    const configurations = name === RUNTIME_MONITORING ? RUNTIME_CONFIGURATIONS
      .filter(([config]) => plans[config] !== undefined)
      .map(([config, configName]) => ({ Name: configName, Status: status(plans[config] as boolean) })) : [];
    out.push({ Name: name, Status: status(enabled), ...(configurations.length > 0 ? { AdditionalConfiguration: configurations } : {}) });
  }
  return out;
}

/**
 * `protectionPlans` as the resource property, checked: agent configurations only with
 * `runtimeMonitoring: true`, no EKS Runtime Monitoring beside Runtime Monitoring, well-formed
 * names, none twice. Throws a {@link PlanProblem} naming the value.
 */
export function plansProperty(plans: GuardDutyProtectionPlans): PlanProperty[] {
  const configured = RUNTIME_CONFIGURATIONS.filter(([config]) => plans[config] !== undefined);
  if (configured.length > 0 && plans.runtimeMonitoring !== true) {
    throw new PlanProblem('ProtectionPlanConfigurationWithoutFeature', `protectionPlans.${configured[0][0]} is set, but runtimeMonitoring is ` +
      `${plans.runtimeMonitoring === undefined ? 'not' : 'false'}: an agent configuration of Runtime Monitoring needs runtimeMonitoring: true`);
  }
  const out = typedPlans(plans);
  const seen = new Set(out.map((p) => p.Name));
  (plans.additionalFeatures ?? []).forEach((feature, i) => {
    const name = checkName(feature?.name, `protectionPlans.additionalFeatures[${i}].name`);
    if (name === EKS_RUNTIME_MONITORING && plans.runtimeMonitoring !== undefined) {
      throw new PlanProblem('ConflictingRuntimeMonitoring', `protectionPlans.additionalFeatures[${i}].name '${name}' beside runtimeMonitoring: ` +
        'GuardDuty refuses both in one request; Runtime Monitoring supersedes EKS Runtime Monitoring, so keep runtimeMonitoring');
    }
    if (seen.has(name)) {
      throw new PlanProblem('DuplicateProtectionPlan', `protectionPlans.additionalFeatures[${i}].name '${name}' is declared twice (a typed property or an earlier entry sets it)`);
    }
    seen.add(name);
    const configNames = new Set<string>();
    const configurations = (feature.additionalConfiguration ?? []).map((config, j) => {
      const configName = checkName(config?.name, `protectionPlans.additionalFeatures[${i}].additionalConfiguration[${j}].name`);
      if (configNames.has(configName)) {
        throw new PlanProblem('DuplicateProtectionPlan', `protectionPlans.additionalFeatures[${i}].additionalConfiguration[${j}].name '${configName}' is declared twice`);
      }
      configNames.add(configName);
      return { Name: configName, Status: status(config.enabled) };
    });
    out.push({ Name: name, Status: status(feature.enabled), ...(configurations.length > 0 ? { AdditionalConfiguration: configurations } : {}) });
  });
  return out;
}

/** The flat settings of the property (`FEATURE`, `FEATURE/CONFIGURATION`): what each member must have. */
export function plansAsSettings(property: readonly PlanProperty[]): Record<string, PlanStatus> {
  const settings: Record<string, PlanStatus> = {};
  for (const plan of property) {
    settings[plan.Name] = plan.Status;
    for (const config of plan.AdditionalConfiguration ?? []) settings[`${plan.Name}/${config.Name}`] = config.Status;
  }
  return settings;
}

/**
 * The handler's read of the property: checked again (tokens resolve at deploy time) when
 * `strict`, else as far as it reads. Undefined when no plan is managed.
 */
export function readPlans(value: unknown, strict: boolean): Record<string, PlanStatus> | undefined {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  const valid = (entry: unknown): entry is PlanProperty => {
    const e = entry as PlanProperty;
    return typeof e?.Name === 'string' && FEATURE_NAME.test(e.Name) && (e.Status === 'ENABLED' || e.Status === 'DISABLED')
      && (e.AdditionalConfiguration ?? []).every((c) => typeof c?.Name === 'string' && FEATURE_NAME.test(c.Name) && (c.Status === 'ENABLED' || c.Status === 'DISABLED'));
  };
  const entries = Array.isArray(value) ? value : [];
  const bad = Array.isArray(value) ? entries.findIndex((e) => !valid(e)) : 0;
  if (bad >= 0) {
    if (strict) throw new PlanProblem('InvalidProtectionPlans', `ProtectionPlans[${bad}]: ${JSON.stringify(Array.isArray(value) ? entries[bad] : value)} is not a plan ({ Name, Status ENABLED|DISABLED })`);
    return plansAsSettings(entries.filter(valid));
  }
  const names = entries.map((e) => (e as PlanProperty).Name);
  if (strict && names.includes(EKS_RUNTIME_MONITORING) && names.includes(RUNTIME_MONITORING)) {
    throw new PlanProblem('ConflictingRuntimeMonitoring', 'ProtectionPlans: EKS_RUNTIME_MONITORING and RUNTIME_MONITORING together, which GuardDuty refuses');
  }
  return plansAsSettings(entries as PlanProperty[]);
}
