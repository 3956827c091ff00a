/**
 * A world for lifecycle tests of the ownership invariant (test code): the local endpoint, the
 * bundled handler behind the simulated Provider framework and CloudFormation, and templates of
 * member resources built the way the constructs write them, without a synth per step (one test
 * checks the two agree). Every log line and String parameter is checked for emails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloudFormationSimulator, Handler, ResourceDeclaration, Template } from './cloudformation-driver';
import { Endpoint, Faults, startEndpoint } from './member-endpoint';
import { GuardDutyProtectionPlans } from '../../src';
import { encodeAccounts } from '../../src/private/ledger/codec';
import { SETTINGS_ENVIRONMENT } from '../../src/private/properties';
import { plansProperty } from '../../src/private/services/guardduty/plans';

export const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'private', 'reconcile.lambda', 'index.js');
export const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;
export const LEDGER = '/cdk-security-members/';
export const MUTATING = ['CreateMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers'];
/** What an invocation's context reports when every invocation should make exactly one call of progress. */
export const ONE_CALL_PER_INVOCATION = 90_000 - 1;

export interface World {
  readonly endpoint: Endpoint;
  readonly cfn: CloudFormationSimulator;
  /** Every line the handler logged. */
  readonly logs: string[];
  /** Stops the endpoint, after checking that no log line or String parameter carries an email. */
  stop(): Promise<void>;
}

export interface WorldOptions {
  readonly seed?: number;
  readonly faults?: Faults;
  readonly remainingMs?: number;
}

/** The endpoint, environment and a freshly loaded bundled handler, as a cold Lambda loads it. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npx projen bundle' (the test task does)`);
  const endpoint = await startEndpoint({ seed: options.seed, faults: options.faults });
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // The endpoint grants everything: as a handler whose stack declares protection plans (and has their rights).
    [SETTINGS_ENVIRONMENT]: 'GuardDuty',
  });
  const logs: string[] = [];
  const spies = (['log', 'info', 'warn', 'error'] as const).map((level) => jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
    logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  }));
  let handler!: Handler;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is loaded as Lambda loads it
    handler = require(BUNDLE).handler;
  });
  const cfn = new CloudFormationSimulator(endpoint, handler, { remainingMs: options.remainingMs, functionName: 'Members-SecurityMembers-0123abcd' });
  return {
    endpoint,
    cfn,
    logs,
    async stop() {
      spies.forEach((spy) => spy.mockRestore());
      // For a reader debugging a scenario: the handler's whole log.
      if (process.env.HARNESS_LOG_FILE) fs.appendFileSync(process.env.HARNESS_LOG_FILE, `${logs.join('\n')}\n`);
      process.env = saved;
      const leaked = [
        ...logs.filter((line) => EMAIL.test(line)),
        ...[...endpoint.ssm.parameters.values()].filter((p) => p.type === 'String' && EMAIL.test(p.value)).map((p) => p.name),
      ];
      await endpoint.stop();
      expect(leaked).toEqual([]);
    },
  };
}

/** The ledger's parameters (the whole tree under /cdk-security-members). */
export function ledgerParameters(endpoint: Endpoint): string[] {
  return [...endpoint.ssm.parameters.keys()].filter((name) => name.startsWith(LEDGER)).sort();
}

/** Accounts, statuses and recorded emails of the detector's members. */
export function guardDutySnapshot(endpoint: Endpoint): Record<string, string> {
  return Object.fromEntries([...endpoint.model.guardDuty.values()]
    .sort((a, b) => a.accountId.localeCompare(b.accountId)).map((m) => [m.accountId, `${m.status} ${m.email}`]));
}

/** A GuardDuty construct's declaration, as the test states it. */
export interface Declared {
  /** Static members (their email is `root+<id>@example.com` unless given). */
  readonly members?: readonly (string | { readonly accountId: string; readonly email: string })[];
  readonly organizationalUnits?: readonly string[];
  readonly excludeAccounts?: readonly string[];
  readonly maxRemovals?: number;
  readonly invite?: boolean;
  readonly failOnUnprocessed?: boolean;
  readonly removalPolicy?: 'DESTROY' | 'RETAIN';
  /** GuardDuty protection plans, as the construct takes them. */
  readonly protectionPlans?: GuardDutyProtectionPlans;
  /** Inspector's scan types, as the construct takes them. */
  readonly scanTypes?: readonly string[];
}

/** The services whose member resources the harness builds. */
export type TemplateService = 'GuardDuty' | 'Inspector' | 'Macie';

export const rootEmail = (accountId: string) => `root+${accountId}@example.com`;

function memberEntries(declared: Declared, emailless = false): string[] {
  return (declared.members ?? [])
    .map((m) => (typeof m === 'string' ? { accountId: m, email: emailless ? '' : rootEmail(m) } : m))
    .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0))
    .map((m) => `${m.accountId}:${m.email}`);
}

/**
 * A stack's GuardDuty member resources on the endpoint's detector, by logical ID, with their
 * properties as `GuardDutyMembers` writes them (Siblings: the other constructs' declarations).
 */
export function guardDutyTemplate(endpoint: Endpoint, constructs: Readonly<Record<string, Declared>>): Template {
  return memberTemplate(endpoint, 'GuardDuty', constructs);
}

/** The same for any of the services the harness builds (Inspector: accounts by ID, no email). */
export function memberTemplate(endpoint: Endpoint, service: TemplateService, constructs: Readonly<Record<string, Declared>>): Template {
  const template: Template = {};
  for (const [logicalId, declared] of Object.entries(constructs)) {
    const others = Object.entries(constructs).filter(([id]) => id !== logicalId).map(([, d]) => d);
    const siblingAccounts = others.flatMap((d) => memberEntries(d).map((e) => e.split(':')[0]));
    const units = others.filter((d) => (d.organizationalUnits ?? []).length > 0).map((d) => ({
      OrganizationalUnits: [...d.organizationalUnits!],
      ...((d.excludeAccounts ?? []).length > 0 ? { ExcludeAccounts: [...d.excludeAccounts!] } : {}),
    }));
    const siblings = siblingAccounts.length + units.length > 0
      ? { ...(siblingAccounts.length > 0 ? { Accounts: encodeAccounts(siblingAccounts) } : {}), ...(units.length > 0 ? { Units: units } : {}) }
      : undefined;
    template[logicalId] = resource(serviceProperties(endpoint, service, declared), declared, siblings);
  }
  return template;
}

/** What each service's construct writes before the properties they share. */
function serviceProperties(endpoint: Endpoint, service: TemplateService, declared: Declared): ResourceDeclaration {
  switch (service) {
    case 'GuardDuty':
      return {
        type: 'Custom::GuardDutyMembers',
        properties: {
          Service: 'GuardDuty',
          DetectorId: endpoint.model.detectorId,
          Members: memberEntries(declared),
          Invite: declared.invite ?? true,
          DisableEmailNotification: false,
          MemberRemoval: 'DELETE',
        },
      };
    case 'Inspector':
      return {
        type: 'Custom::InspectorMembers',
        properties: {
          Service: 'Inspector',
          Members: memberEntries(declared, true),
          Invite: false,
          MemberRemoval: 'DISASSOCIATE',
          ...((declared.scanTypes ?? []).length > 0 ? { ScanTypes: [...declared.scanTypes!] } : {}),
        },
      };
    case 'Macie':
      return {
        type: 'Custom::MacieMembers',
        properties: {
          Service: 'Macie',
          Members: memberEntries(declared),
          Invite: declared.invite ?? true,
          DisableEmailNotification: false,
          MemberRemoval: 'DELETE',
        },
      };
  }
}

function resource(own: ResourceDeclaration, declared: Declared, siblings: object | undefined): ResourceDeclaration {
  return {
    type: own.type,
    properties: {
      ...own.properties,
      FailOnUnprocessed: declared.failOnUnprocessed ?? true,
      RemovalPolicy: declared.removalPolicy ?? 'DESTROY',
      ...(declared.maxRemovals !== undefined ? { MaxRemovals: declared.maxRemovals } : {}),
      ...(siblings ? { Siblings: siblings } : {}),
      ...((declared.organizationalUnits ?? []).length > 0 ? { OrganizationalUnits: [...declared.organizationalUnits!] } : {}),
      ...((declared.excludeAccounts ?? []).length > 0 ? { ExcludeAccounts: [...declared.excludeAccounts!] } : {}),
      ...protectionPlansProperty(declared.protectionPlans),
      Schema: '2',
      ServiceTimeout: '2100',
    },
  };
}

/** The ProtectionPlans property as the construct renders it: absent when no plan is managed. */
function protectionPlansProperty(plans: GuardDutyProtectionPlans | undefined): Record<string, unknown> {
  const rendered = plans ? plansProperty(plans) : [];
  return rendered.length > 0 ? { ProtectionPlans: rendered } : {};
}
