/**
 * Custom-resource properties exactly as a synthesized template carries them, so lifecycle
 * tests and the benchmark deploy what `cdk synth` produces rather than hand-written properties.
 */
import { App, Stack } from 'aws-cdk-lib';
import {
  DetectiveGraphMembers, GuardDutyMembers, GuardDutyProtectionPlans, InspectorMembers, InspectorScanType, MacieMembers, MemberAccount,
  SecurityHubMembers,
} from '../../src';

export interface SynthesizedMembers {
  readonly resourceType: string;
  /** The custom resource's properties without the ServiceToken (the stack driver adds it). */
  readonly properties: Record<string, unknown>;
  readonly templateBytes: number;
  readonly synthMs: number;
}

const GRAPH_ARN = 'arn:aws:detective:us-east-1:999999999999:graph:0123456789abcdef0123456789abcdef';

/** Props beside the members (protectionPlans: GuardDuty only; scanTypes: Inspector only). */
export interface SynthesisOptions {
  readonly maxRemovals?: number;
  readonly organizationalUnits?: string[];
  readonly excludeAccounts?: string[];
  readonly protectionPlans?: GuardDutyProtectionPlans;
  readonly scanTypes?: InspectorScanType[];
}

export type SynthesizedService = 'GuardDuty' | 'Detective' | 'SecurityHub' | 'Inspector' | 'Macie';

/** The construct of `service` declaring `members` (Inspector: their IDs). */
function addConstruct(stack: Stack, service: SynthesizedService, members: MemberAccount[], detectorId: string | undefined,
  extra: SynthesisOptions): void {
  const { protectionPlans, scanTypes, ...common } = extra;
  switch (service) {
    case 'GuardDuty':
      new GuardDutyMembers(stack, 'Members', { detectorId, members, protectionPlans, ...common });
      break;
    case 'Detective':
      new DetectiveGraphMembers(stack, 'Members', { graphArn: GRAPH_ARN, members, message: 'Join the security graph', ...common });
      break;
    case 'SecurityHub':
      new SecurityHubMembers(stack, 'Members', { members, ...common });
      break;
    case 'Inspector':
      new InspectorMembers(stack, 'Members', { accountIds: members.map((m) => m.accountId), scanTypes, ...common });
      break;
    case 'Macie':
      new MacieMembers(stack, 'Members', { members, ...common });
      break;
  }
}

/** One stack in account 999999999999 with one construct of `service` declaring `members`. */
export function synthesizeMembers(service: SynthesizedService, members: MemberAccount[], detectorId?: string,
  extra: SynthesisOptions = {}): SynthesizedMembers {
  const started = process.hrtime.bigint();
  const app = new App();
  const stack = new Stack(app, 'Members', { env: { account: '999999999999', region: 'us-east-1' } });
  addConstruct(stack, service, members, detectorId, extra);
  const template = app.synth().getStackByName('Members').template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
  const resourceType = `Custom::${service === 'Detective' ? 'DetectiveGraph' : service}Members`;
  const resource = Object.values(template.Resources).find((r) => r.Type === resourceType)!;
  const { ServiceToken: _token, ...properties } = resource.Properties;
  return { resourceType, properties, templateBytes: Buffer.byteLength(JSON.stringify(template)), synthMs };
}
