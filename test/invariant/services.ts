/**
 * The services a random sequence may run against (test code): GuardDuty, whose member calls take
 * 50 accounts, and Inspector and Macie, whose calls take one (Inspector's association
 * asynchronous). Each says how its members look on the local endpoint, what a declaration may
 * hold, what it wants an account to be, and what a declaration's per-account settings are.
 */
import { Declared, TemplateService } from '../endpoint/harness';
import { Endpoint } from '../endpoint/member-endpoint';

export interface Member {
  readonly status: string;
  readonly email: string;
}

/** One service under test. */
export interface InvariantService {
  readonly name: TemplateService;
  /** The ledger's service segment (`/cdk-security-members/<ledgerService>/<target>/`). */
  readonly ledgerService: string;
  /** Whether accounts outside the organization can be members (invited). */
  readonly invites: boolean;
  /** Whether a declaration may manage per-account settings (GuardDuty's plan, Inspector's scan type). */
  readonly settings: boolean;
  /** The target, as the ledger and a sync name it. */
  target(endpoint: Endpoint): string;
  /** Current members by account (records of removed members left out), as reads would show them. */
  members(endpoint: Endpoint): Map<string, Member>;
  /** A member added by hand for an organization account (or one outside, where the service invites). */
  addByHand(endpoint: Endpoint, accountId: string, organization: boolean): Member;
  /** The statuses a declaration wants an account in. */
  wanted(organization: boolean): string[];
  /** The construct's settings prop when the declaration manages settings. */
  settingsProps(): Partial<Declared>;
  /** What a rollback restores beside status and email (the managed plan), for a snapshot. */
  restoredSettings(endpoint: Endpoint, accountId: string, member: Member): string;
  /** Why a held account's settings are not what a declaration with settings wants, or undefined. */
  settingsProblem(endpoint: Endpoint, accountId: string, member: Member): string | undefined;
}

/** The one protection plan the GuardDuty sequences manage, and the status its declarations want. */
export const PLAN = 'S3_DATA_EVENTS';
export const PLAN_STATUS = 'DISABLED';
/** The one scan type the Inspector sequences manage (only ever turned on). */
export const SCAN_TYPE = 'EC2';

const GUARDDUTY: InvariantService = {
  name: 'GuardDuty',
  ledgerService: 'guardduty',
  invites: true,
  settings: true,
  target: (endpoint) => endpoint.model.detectorId,
  members: (endpoint) => new Map([...endpoint.model.guardDuty].map(([id, m]) => [id, { status: m.status, email: m.email }])),
  addByHand: (endpoint, accountId, organization) => {
    const member = { status: organization ? 'Enabled' : 'Invited', email: `hand+${accountId}@example.com` };
    endpoint.model.guardDuty.set(accountId, { accountId, ...member });
    return member;
  },
  wanted: (organization) => (organization ? ['Enabled'] : ['Invited', 'EmailVerificationInProgress']),
  settingsProps: () => ({ protectionPlans: { s3DataEvents: false } }),
  restoredSettings: (endpoint, accountId, member) => (member.status === 'Enabled' ? ` ${PLAN} ${endpoint.model.features(accountId)[PLAN]?.status}` : ''),
  settingsProblem: (endpoint, accountId, member) => {
    const plan = member.status === 'Enabled' ? endpoint.model.features(accountId)[PLAN]?.status : undefined;
    return plan !== undefined && plan !== PLAN_STATUS ? `${PLAN} ${plan}, declared ${PLAN_STATUS}` : undefined;
  },
};

const INSPECTOR: InvariantService = {
  name: 'Inspector',
  ledgerService: 'inspector2',
  invites: false,
  settings: true,
  target: () => 'inspector2:us-east-1',
  members: (endpoint) => new Map(Object.entries(endpoint.inspector.state())
    .filter(([, status]) => status !== 'REMOVED').map(([id, status]) => [id, { status, email: '' }])),
  addByHand: (endpoint, accountId) => {
    endpoint.inspector.members.set(accountId, { accountId, status: 'ENABLED', updatedAt: Date.now() });
    return { status: 'ENABLED', email: '' };
  },
  wanted: () => ['ENABLED'],
  settingsProps: () => ({ scanTypes: [SCAN_TYPE] }),
  // Scan types are only ever turned on: a rollback leaves them, so a snapshot does not compare them.
  restoredSettings: () => '',
  settingsProblem: (endpoint, accountId, member) => (member.status === 'ENABLED' && !endpoint.inspector.scanTypes.get(accountId)?.has(SCAN_TYPE)
    ? `scan type ${SCAN_TYPE} not enabled` : undefined),
};

const MACIE: InvariantService = {
  name: 'Macie',
  ledgerService: 'macie2',
  invites: true,
  settings: false,
  target: () => 'macie2:us-east-1',
  // As Macie reads members back: an account associated through Organizations has no email (null),
  // so none is recorded to compare; the email it was created with is the service's alone.
  members: (endpoint) => new Map([...endpoint.macie.members]
    .map(([id, m]) => [id, { status: m.status, email: endpoint.macie.organization.has(id) ? '' : m.email }])),
  addByHand: (endpoint, accountId, organization) => {
    const member = { status: organization ? 'Enabled' as const : 'Invited' as const, email: `hand+${accountId}@example.com` };
    endpoint.macie.members.set(accountId, { accountId, ...member, tags: {}, updatedAt: new Date().toISOString() });
    return { ...member, email: organization ? '' : member.email };
  },
  wanted: (organization) => (organization ? ['Enabled'] : ['Invited', 'EmailVerificationInProgress']),
  settingsProps: () => ({}),
  restoredSettings: () => '',
  settingsProblem: () => undefined,
};

export const SERVICES: Readonly<Record<TemplateService, InvariantService>> = { GuardDuty: GUARDDUTY, Inspector: INSPECTOR, Macie: MACIE };
