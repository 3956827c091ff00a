/**
 * GuardDuty's organization configuration on the local endpoint (DescribeOrganizationConfiguration),
 * through the real GuardDutyClient. The members' plans are in guardduty-features-endpoint.test.ts.
 */
import { DescribeOrganizationConfigurationCommand, GuardDutyClient, paginateDescribeOrganizationConfiguration } from '@aws-sdk/client-guardduty';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let gd: GuardDutyClient;
const config = { region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 };
const DetectorId = () => endpoint.model.detectorId;
const describe_ = () => gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: DetectorId() }));

beforeEach(async () => {
  endpoint = await startEndpoint();
  gd = new GuardDutyClient({ ...config, endpoint: endpoint.url });
});
afterEach(async () => {
  gd.destroy();
  await endpoint.stop();
});

test('DescribeOrganizationConfiguration: auto-enable, features and data sources from the model; the member limit', async () => {
  const m = endpoint.model;
  const cfg = await describe_();
  expect(cfg).toMatchObject({
    AutoEnable: true,
    AutoEnableOrganizationMembers: 'NEW',
    MemberAccountLimitReached: false,
    DataSources: {
      S3Logs: { AutoEnable: true },
      Kubernetes: { AuditLogs: { AutoEnable: true } },
      MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: { AutoEnable: true } } },
    },
  });
  expect(cfg.NextToken).toBeUndefined();
  const agents = ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'].map((Name) => ({ Name, AutoEnable: 'NONE' }));
  expect(cfg.Features).toEqual([
    ...['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'LAMBDA_NETWORK_LOGS'].map((Name) => ({ Name, AutoEnable: 'NEW' })),
    { Name: 'RUNTIME_MONITORING', AutoEnable: 'NONE', AdditionalConfiguration: agents },
  ]);

  m.autoEnableAll = true;
  expect(await describe_()).toMatchObject({ AutoEnable: true, AutoEnableOrganizationMembers: 'ALL', Features: expect.arrayContaining([{ Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' }]) });
  m.autoEnableOrganizationMembers = 'NONE';
  expect(await describe_()).toMatchObject({ AutoEnable: false, AutoEnableOrganizationMembers: 'NONE', DataSources: { S3Logs: { AutoEnable: false } } });

  for (const accountId of ['111111111111', '222222222222']) m.guardDuty.set(accountId, { accountId, email: 'a@example.com', status: 'Enabled' });
  m.memberAccountLimit = 2;
  expect((await describe_()).MemberAccountLimitReached).toBe(true);
  m.memberAccountLimitReached = false;
  expect((await describe_()).MemberAccountLimitReached).toBe(false);
});

test('DescribeOrganizationConfiguration pages its features (maxResults ≤ 50)', async () => {
  const pages = [];
  for await (const page of paginateDescribeOrganizationConfiguration({ client: gd, pageSize: 4 }, { DetectorId: DetectorId() })) pages.push(page);
  expect(pages.map((p) => p.Features!.length)).toEqual([4, 2]);
  expect(pages.every((p) => p.AutoEnableOrganizationMembers === 'NEW')).toBe(true);
  await expect(gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: DetectorId(), MaxResults: 51 }))).rejects.toMatchObject({ name: 'BadRequestException' });
});

test('DescribeOrganizationConfiguration from an account that is not the delegated administrator is BadRequestException', async () => {
  endpoint.model.delegatedAdministrator = false;
  await expect(describe_()).rejects.toMatchObject({
    name: 'BadRequestException',
    message: 'The request failed because you do not have required AWS Organization master permission.',
    $metadata: { httpStatusCode: 400 },
  });
  expect(endpoint.countFor('GuardDuty', 'DescribeOrganizationConfiguration', 'BadRequestException')).toBe(1);
});
