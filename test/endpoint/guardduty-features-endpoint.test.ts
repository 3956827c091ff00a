/**
 * GuardDuty members' protection plans on the local endpoint (GetMemberDetectors,
 * UpdateMemberDetectors), through the real GuardDutyClient: shapes, unprocessed reasons and the
 * service's rules. The organization configuration is in guardduty-organization-endpoint.test.ts.
 */
import {
  CreateMembersCommand,
  DescribeOrganizationConfigurationCommand,
  DisassociateMembersCommand,
  GetMemberDetectorsCommand,
  GetMembersCommand,
  GuardDutyClient,
  MemberFeaturesConfiguration,
  OrgFeature,
  UpdateMemberDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import { Endpoint, FeatureStatus, startEndpoint } from './member-endpoint';

const NOT_ASSOCIATED = 'The request is rejected because the given account ID is not an associated member of account the current account.';
const T0 = Date.UTC(2026, 10, 21);

let endpoint: Endpoint;
let gd: GuardDutyClient;
let now: number;
const config = { region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 };
const ids = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));
const DetectorId = () => endpoint.model.detectorId;

beforeEach(async () => {
  endpoint = await startEndpoint();
  gd = new GuardDutyClient({ ...config, endpoint: endpoint.url });
  now = T0;
  endpoint.model.clock = () => now;
});
afterEach(async () => {
  gd.destroy();
  await endpoint.stop();
});

/** Members associated by other means than CreateMembers (an accepted invitation): no delay. */
const enable = (...accounts: string[]) =>
  accounts.forEach((a) => endpoint.model.guardDuty.set(a, { accountId: a, email: `${a}@example.com`, status: 'Enabled' }));
const create = (accounts: string[]) => gd.send(new CreateMembersCommand({ DetectorId: DetectorId(), AccountDetails: accounts.map((AccountId) => ({ AccountId, Email: `${AccountId}@example.com` })) }));
const read = (AccountIds: string[]) => gd.send(new GetMemberDetectorsCommand({ DetectorId: DetectorId(), AccountIds }));
const update = (AccountIds: string[], Features: MemberFeaturesConfiguration[]) =>
  gd.send(new UpdateMemberDetectorsCommand({ DetectorId: DetectorId(), AccountIds, Features }));
const describe_ = () => gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: DetectorId() }));
/** A feature of a request, additional configuration by name. */
const feature = (name: string, status: FeatureStatus, configs: Record<string, FeatureStatus> = {}): MemberFeaturesConfiguration => ({
  Name: name as OrgFeature,
  Status: status,
  AdditionalConfiguration: Object.entries(configs).map(([Name, Status]) => ({ Name: Name as never, Status })),
});
/** name → [status, updatedAt ms] of GetMemberDetectors' first member, and its configurations as `FEATURE/CONFIG`. */
async function plansOf(accountId: string): Promise<Record<string, [string, number]>> {
  const got = await read([accountId]);
  expect(got.UnprocessedAccounts).toEqual([]);
  return Object.fromEntries(got.MemberDataSourceConfigurations![0].Features!.flatMap((f) => [
    [f.Name!, [f.Status!, f.UpdatedAt!.getTime()]],
    ...(f.AdditionalConfiguration ?? []).map((c) => [`${f.Name}/${c.Name}`, [c.Status!, c.UpdatedAt!.getTime()]]),
  ]));
}

test('GetMemberDetectors: an associated member\'s features and data sources round-trip; other accounts are unprocessed', async () => {
  const [org, invited, stranger] = ids(3);
  endpoint.model.organization.add(org);
  await create([org, invited]);
  const got = await read([org, invited, stranger]);
  const at = new Date(T0);
  const agents = ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'].map((Name) => ({ Name, Status: 'DISABLED', UpdatedAt: at }));
  expect(got.MemberDataSourceConfigurations).toEqual([{
    AccountId: org,
    DataSources: {
      CloudTrail: { Status: 'ENABLED' },
      DNSLogs: { Status: 'ENABLED' },
      FlowLogs: { Status: 'ENABLED' },
      S3Logs: { Status: 'ENABLED' },
      Kubernetes: { AuditLogs: { Status: 'ENABLED' } },
      MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: { Status: 'ENABLED' } } },
    },
    Features: [
      ...['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'LAMBDA_NETWORK_LOGS'].map((Name) => ({ Name, Status: 'ENABLED', UpdatedAt: at })),
      { Name: 'RUNTIME_MONITORING', Status: 'DISABLED', UpdatedAt: at, AdditionalConfiguration: agents },
    ],
  }]);
  expect(got.UnprocessedAccounts).toEqual([invited, stranger].map((AccountId) => ({ AccountId, Result: NOT_ASSOCIATED })));
});

test('a newly associated member starts from the configurable default features', async () => {
  const [a] = ids(1);
  endpoint.model.defaultFeatures = { S3_DATA_EVENTS: { status: 'DISABLED' }, AI_PROTECTION: { status: 'ENABLED' } };
  enable(a);
  expect(await plansOf(a)).toEqual({ S3_DATA_EVENTS: ['DISABLED', T0], AI_PROTECTION: ['ENABLED', T0] });
  expect(endpoint.model.features(a)).toEqual({ S3_DATA_EVENTS: { status: 'DISABLED' }, AI_PROTECTION: { status: 'ENABLED' } });
});

test('UpdateMemberDetectors sets features and configurations, stores unknown names, and moves updatedAt only where a status changed', async () => {
  const [a] = ids(1);
  enable(a);
  await read([a]);
  now = T0 + 60_000;
  const updated = await update([a], [
    feature('S3_DATA_EVENTS', 'DISABLED'),
    feature('EKS_AUDIT_LOGS', 'ENABLED'),
    feature('RUNTIME_MONITORING', 'ENABLED', { EC2_AGENT_MANAGEMENT: 'ENABLED' }),
    feature('AI_PROTECTION', 'ENABLED'),
    feature('FUTURE_PROTECTION', 'DISABLED', { FUTURE_AGENT: 'ENABLED' }),
  ]);
  expect(updated.UnprocessedAccounts).toEqual([]);
  const t1 = now;
  expect(await plansOf(a)).toEqual({
    'S3_DATA_EVENTS': ['DISABLED', t1],
    'EKS_AUDIT_LOGS': ['ENABLED', T0],
    'EBS_MALWARE_PROTECTION': ['ENABLED', T0],
    'RDS_LOGIN_EVENTS': ['ENABLED', T0],
    'LAMBDA_NETWORK_LOGS': ['ENABLED', T0],
    'RUNTIME_MONITORING': ['ENABLED', t1],
    'RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT': ['DISABLED', T0],
    'RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT': ['DISABLED', T0],
    'RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT': ['ENABLED', t1],
    'AI_PROTECTION': ['ENABLED', t1],
    'FUTURE_PROTECTION': ['DISABLED', t1],
    'FUTURE_PROTECTION/FUTURE_AGENT': ['ENABLED', t1],
  });
  // A configuration alone changing moves its feature's updatedAt as well.
  now = T0 + 120_000;
  await update([a], [feature('RUNTIME_MONITORING', 'ENABLED', { EKS_ADDON_MANAGEMENT: 'ENABLED' })]);
  expect(await plansOf(a)).toMatchObject({ 'RUNTIME_MONITORING': ['ENABLED', now], 'RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT': ['ENABLED', now], 'S3_DATA_EVENTS': ['DISABLED', t1] });
  expect(endpoint.model.features(a).RUNTIME_MONITORING).toEqual({
    status: 'ENABLED',
    additionalConfiguration: { EKS_ADDON_MANAGEMENT: 'ENABLED', ECS_FARGATE_AGENT_MANAGEMENT: 'DISABLED', EC2_AGENT_MANAGEMENT: 'ENABLED' },
  });
});

test('the deprecated dataSources of UpdateMemberDetectors set the features they stand for', async () => {
  const [a] = ids(1);
  enable(a);
  await gd.send(new UpdateMemberDetectorsCommand({
    DetectorId: DetectorId(),
    AccountIds: [a],
    DataSources: {
      S3Logs: { Enable: false },
      Kubernetes: { AuditLogs: { Enable: false } },
      MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: false } },
    },
  }));
  expect(endpoint.model.features(a)).toMatchObject({ S3_DATA_EVENTS: { status: 'DISABLED' }, EKS_AUDIT_LOGS: { status: 'DISABLED' }, EBS_MALWARE_PROTECTION: { status: 'DISABLED' } });
  expect((await read([a])).MemberDataSourceConfigurations![0].DataSources).toMatchObject({ S3Logs: { Status: 'DISABLED' }, Kubernetes: { AuditLogs: { Status: 'DISABLED' } } });
});

test('setFeatures simulates drift: merged into the member\'s features, updatedAt moving', async () => {
  const [a] = ids(1);
  enable(a);
  now = T0 + 5_000;
  endpoint.model.setFeatures(a, {
    S3_DATA_EVENTS: { status: 'DISABLED' },
    RUNTIME_MONITORING: { status: 'ENABLED', additionalConfiguration: { ECS_FARGATE_AGENT_MANAGEMENT: 'ENABLED' } },
  });
  expect(await plansOf(a)).toMatchObject({
    'S3_DATA_EVENTS': ['DISABLED', now],
    'RDS_LOGIN_EVENTS': ['ENABLED', now],
    'RUNTIME_MONITORING': ['ENABLED', now],
    'RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT': ['ENABLED', now],
    'RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT': ['DISABLED', now],
  });
});

test('only Enabled members can be updated: the others are unprocessed as not associated, and unchanged', async () => {
  const m = endpoint.model;
  const [created, invited, disabled, removed, stranger, member] = ids(6);
  for (const [accountId, status] of [[created, 'Created'], [invited, 'Invited'], [disabled, 'Disabled'], [removed, 'Removed']]) {
    m.guardDuty.set(accountId, { accountId, email: 'x@example.com', status });
  }
  enable(member);
  const updated = await update([created, invited, disabled, removed, stranger, member], [feature('S3_DATA_EVENTS', 'DISABLED')]);
  const others = [created, invited, disabled, removed, stranger];
  expect(updated.UnprocessedAccounts).toEqual(others.map((AccountId) => ({ AccountId, Result: NOT_ASSOCIATED })));
  expect(m.features(member).S3_DATA_EVENTS.status).toBe('DISABLED');
  expect(m.features(invited).S3_DATA_EVENTS.status).toBe('ENABLED');
});

test('an organization account just created answers "not an associated member" for associationDelayCalls calls, then works', async () => {
  const m = endpoint.model;
  m.associationDelayCalls = 2;
  const [org, accepted] = ids(2);
  m.organization.add(org);
  await create([org]);
  enable(accepted);
  expect(m.rollout.get(org)).toBe(2);
  // The relationship is Enabled all along: only its plans are not reachable yet.
  expect((await gd.send(new GetMembersCommand({ DetectorId: DetectorId(), AccountIds: [org] }))).Members![0].RelationshipStatus).toBe('Enabled');
  const first = await update([org, accepted], [feature('S3_DATA_EVENTS', 'DISABLED')]);
  expect(first.UnprocessedAccounts).toEqual([{ AccountId: org, Result: NOT_ASSOCIATED }]);
  expect((await read([org])).UnprocessedAccounts).toEqual([{ AccountId: org, Result: NOT_ASSOCIATED }]);
  expect(m.features(org).S3_DATA_EVENTS.status).toBe('ENABLED');
  expect((await update([org], [feature('S3_DATA_EVENTS', 'DISABLED')])).UnprocessedAccounts).toEqual([]);
  expect(m.features(org).S3_DATA_EVENTS.status).toBe('DISABLED');
  expect((await read([org])).MemberDataSourceConfigurations).toHaveLength(1);
});

test('CreateMembers re-applies the organization\'s auto-enable to an organization account that comes back; not under NONE', async () => {
  const m = endpoint.model;
  const [org] = ids(1);
  m.organization.add(org);
  await create([org]);
  m.defaultFeatures.EKS_AUDIT_LOGS = { status: 'ENABLED', additionalConfiguration: { AUDIT_AGENT: 'ENABLED', OTHER_AGENT: 'DISABLED' } };
  await update([org], [
    feature('S3_DATA_EVENTS', 'DISABLED'),
    feature('RUNTIME_MONITORING', 'ENABLED'),
    feature('EKS_AUDIT_LOGS', 'DISABLED', { AUDIT_AGENT: 'DISABLED', OTHER_AGENT: 'ENABLED' }),
  ]);
  await gd.send(new DisassociateMembersCommand({ DetectorId: DetectorId(), AccountIds: [org] }));
  await create([org]);
  // What the organization auto-enables is enabled again; what it does not is left as it was.
  expect(m.features(org)).toMatchObject({
    S3_DATA_EVENTS: { status: 'ENABLED' },
    RUNTIME_MONITORING: { status: 'ENABLED' },
    EKS_AUDIT_LOGS: { status: 'ENABLED', additionalConfiguration: { AUDIT_AGENT: 'ENABLED', OTHER_AGENT: 'ENABLED' } },
  });

  m.autoEnableOrganizationMembers = 'NONE';
  await update([org], [feature('S3_DATA_EVENTS', 'DISABLED')]);
  await gd.send(new DisassociateMembersCommand({ DetectorId: DetectorId(), AccountIds: [org] }));
  await create([org]);
  expect(m.features(org).S3_DATA_EVENTS.status).toBe('DISABLED');
});

test('features an Organizations GUARDDUTY_POLICY manages are refused for organization accounts, the whole account unchanged', async () => {
  const m = endpoint.model;
  const [org, invited] = ids(2);
  m.organization.add(org);
  enable(org, invited);
  m.policyManaged.set(org, ['S3_DATA_EVENTS', 'RUNTIME_MONITORING']);
  // A policy cannot manage an account outside the organization.
  m.policyManaged.set(invited, ['S3_DATA_EVENTS']);
  const refused = await update([org, invited], [feature('S3_DATA_EVENTS', 'DISABLED'), feature('RDS_LOGIN_EVENTS', 'DISABLED')]);
  expect(refused.UnprocessedAccounts).toEqual([{
    AccountId: org,
    Result: 'The request is rejected because S3_DATA_EVENTS is managed by an AWS Organizations GuardDuty policy (GUARDDUTY_POLICY) for the given account ID.',
  }]);
  expect(m.features(org)).toMatchObject({ S3_DATA_EVENTS: { status: 'ENABLED' }, RDS_LOGIN_EVENTS: { status: 'ENABLED' } });
  expect(m.features(invited)).toMatchObject({ S3_DATA_EVENTS: { status: 'DISABLED' }, RDS_LOGIN_EVENTS: { status: 'DISABLED' } });

  const both = await update([org], [feature('RUNTIME_MONITORING', 'ENABLED'), feature('S3_DATA_EVENTS', 'ENABLED')]);
  expect(both.UnprocessedAccounts![0].Result).toBe(
    'The request is rejected because S3_DATA_EVENTS, RUNTIME_MONITORING are managed by an AWS Organizations GuardDuty policy (GUARDDUTY_POLICY) for the given account ID.');
  expect((await update([org], [feature('RDS_LOGIN_EVENTS', 'DISABLED')])).UnprocessedAccounts).toEqual([]);
  const features = (await read([org])).MemberDataSourceConfigurations![0].Features!;
  expect(features.filter((f) => f.ManagedBy === 'GUARDDUTY_POLICY').map((f) => f.Name)).toEqual(['S3_DATA_EVENTS', 'RUNTIME_MONITORING']);
  expect(features.find((f) => f.Name === 'RUNTIME_MONITORING')!.AdditionalConfiguration!.every((c) => c.ManagedBy === 'GUARDDUTY_POLICY')).toBe(true);
});

test('EKS_RUNTIME_MONITORING with RUNTIME_MONITORING in one request fails the whole call (400); either alone is fine', async () => {
  const [a, b] = ids(2);
  enable(a, b);
  const before = endpoint.model.features(a);
  await expect(update([a, b], [feature('S3_DATA_EVENTS', 'DISABLED'), feature('EKS_RUNTIME_MONITORING', 'DISABLED'), feature('RUNTIME_MONITORING', 'ENABLED')])).rejects.toMatchObject({
    name: 'BadRequestException',
    message: 'The request is rejected because EKS_RUNTIME_MONITORING and RUNTIME_MONITORING cannot be provided in the same request.',
    $metadata: { httpStatusCode: 400 },
  });
  expect(endpoint.model.features(a)).toEqual(before);
  expect(endpoint.countFor('GuardDuty', 'UpdateMemberDetectors', 'BadRequestException')).toBe(1);
  expect((await update([a], [feature('EKS_RUNTIME_MONITORING', 'ENABLED')])).UnprocessedAccounts).toEqual([]);
  expect(endpoint.model.features(a).EKS_RUNTIME_MONITORING).toEqual({ status: 'ENABLED' });
});

test('invalid input is BadRequestException (400): account counts and IDs, statuses, names, the detector', async () => {
  const [a] = ids(1);
  enable(a);
  const before = endpoint.model.features(a);
  const invalid = 'The request is rejected because an invalid or out-of-range value is specified as an input parameter.';
  const rejected = (message?: string | RegExp) => ({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 }, ...(message ? { message } : {}) });
  await expect(update(ids(51), [feature('S3_DATA_EVENTS', 'DISABLED')])).rejects.toMatchObject(rejected(/1 to 50/));
  await expect(update([], [feature('S3_DATA_EVENTS', 'DISABLED')])).rejects.toMatchObject(rejected(/1 to 50/));
  await expect(read(ids(51))).rejects.toMatchObject(rejected(/1 to 50/));
  await expect(update(['12345'], [feature('S3_DATA_EVENTS', 'DISABLED')])).rejects.toMatchObject(rejected(/not a 12-digit account ID/));
  await expect(read(['abcdefghijkl'])).rejects.toMatchObject(rejected(/not a 12-digit account ID/));
  await expect(update([a], [feature('S3_DATA_EVENTS', 'ON' as FeatureStatus)])).rejects.toMatchObject(rejected(invalid));
  await expect(update([a], [feature('RUNTIME_MONITORING', 'ENABLED', { EC2_AGENT_MANAGEMENT: 'enabled' as FeatureStatus })])).rejects.toMatchObject(rejected(invalid));
  await expect(update([a], [feature('s3 data', 'ENABLED')])).rejects.toMatchObject(rejected(invalid));
  await expect(update([a], [{ Status: 'ENABLED' }])).rejects.toMatchObject(rejected(invalid));
  await expect(gd.send(new GetMemberDetectorsCommand({ DetectorId: 'other', AccountIds: [a] })))
    .rejects.toMatchObject(rejected('The request is rejected because the input detectorId is not owned by the current account.'));
  expect(endpoint.model.features(a)).toEqual(before);
});

test('the call log: operation names, accounts per call; UpdateMemberDetectors is mutating (lost yet applied), the reads are not', async () => {
  const [a, b] = ids(2);
  enable(a, b);
  endpoint.faults = { lostRate: 1 };
  await expect(update([a], [feature('S3_DATA_EVENTS', 'DISABLED')])).rejects.toThrow();
  expect(endpoint.model.features(a).S3_DATA_EVENTS.status).toBe('DISABLED');
  await read([a, b]);
  await describe_();
  expect(endpoint.calls.map((c) => [c.service, c.operation, c.accounts, c.outcome])).toEqual([
    ['GuardDuty', 'UpdateMemberDetectors', 1, 'lost'],
    ['GuardDuty', 'GetMemberDetectors', 2, 'ok'],
    ['GuardDuty', 'DescribeOrganizationConfiguration', 0, 'ok'],
  ]);
  expect(endpoint.calls[1].accountIds).toEqual([a, b]);
});

test('rate limits and throttling apply as for the other GuardDuty operations', async () => {
  const [a] = ids(1);
  enable(a);
  endpoint.faults = { rates: { 'GuardDuty:UpdateMemberDetectors': { perSecond: 1 } } };
  endpoint.now = () => 1_000;
  const settled = await Promise.allSettled([0, 1].map(() => update([a], [feature('S3_DATA_EVENTS', 'DISABLED')])));
  const outcomes = settled.map((r) => (r.status === 'fulfilled' ? 'ok' : `${r.reason.name} ${r.reason.$metadata.httpStatusCode}`));
  expect(outcomes.sort()).toEqual(['TooManyRequestsException 429', 'ok']);
  await expect(read([a])).resolves.toBeDefined();
  endpoint.faults = { throttleRate: 1 };
  await expect(describe_()).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  expect(endpoint.countFor('GuardDuty', 'UpdateMemberDetectors', 'throttled')).toBe(1);
  expect(endpoint.countFor('GuardDuty', 'DescribeOrganizationConfiguration', 'throttled')).toBe(1);
});
