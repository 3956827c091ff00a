/**
 * Inspector's scan types as per-account settings: `EC2` → `ENABLED`, what the engine compares
 * and `Enable` turns on. Declared scan types are only ever turned on. No CDK or SDK imports.
 */
import { SCAN_TYPES } from './definition';

export type ScanType = typeof SCAN_TYPES[number];

/** Why a declared list of scan types is wrong, or undefined. */
export function scanTypesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `ScanTypes: expected a list, got '${String(value)}'`;
  const seen = new Set<string>();
  for (const [i, type] of value.entries()) {
    if (!SCAN_TYPES.includes(type)) return `ScanTypes[${i}]: '${String(type)}' is not one of ${SCAN_TYPES.join(', ')}`;
    if (seen.has(type)) return `ScanTypes[${i}]: '${type}' is listed twice`;
    seen.add(type);
  }
  return undefined;
}

/** The declared scan types as settings (each `ENABLED`), or undefined when none are managed. */
export function scanTypeSettings(value: unknown): Record<string, string> | undefined {
  const types = Array.isArray(value) ? value.filter((t): t is ScanType => SCAN_TYPES.includes(t)) : [];
  return types.length === 0 ? undefined : Object.fromEntries(types.map((t) => [t, 'ENABLED']));
}

/** BatchGetAccountStatus's and Enable's keys of each scan type. */
export const RESOURCE_KEYS: Record<ScanType, string> = { EC2: 'ec2', ECR: 'ecr', LAMBDA: 'lambda', LAMBDA_CODE: 'lambdaCode', CODE_REPOSITORY: 'codeRepository' };

/**
 * An account's scan types from its resource state, by scan type. ENABLING counts as ENABLED:
 * Enable was accepted and Inspector is turning the scan on.
 */
export function scanTypeStates(resourceState: Record<string, { status?: string } | undefined> | undefined): Record<string, string> {
  const states: Record<string, string> = {};
  for (const type of SCAN_TYPES) {
    const status = resourceState?.[RESOURCE_KEYS[type]]?.status;
    if (status) states[type] = status === 'ENABLING' ? 'ENABLED' : status;
  }
  return states;
}
