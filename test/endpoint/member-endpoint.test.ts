/**
 * The endpoint speaks the wire protocol each SDK expects, validates requests as the services do,
 * routes by credential scope, and injects protocol-correct faults and per-service rate limits.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateMembersCommand as DtCreate, DetectiveClient, GetMembersCommand as DtGet, ListMembersCommand as DtList } from '@aws-sdk/client-detective';
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DisassociateMembersCommand,
  GetDetectorCommand,
  GetMembersCommand,
  GuardDutyClient,
  InviteMembersCommand,
  ListMembersCommand,
} from '@aws-sdk/client-guardduty';
import { ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateMembersCommand as ShCreate, GetMembersCommand as ShGet, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Endpoint, ServiceName, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let gd: GuardDutyClient;
let dt: DetectiveClient;
const config = { region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 };
const ids = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));

beforeEach(async () => {
  endpoint = await startEndpoint();
  gd = new GuardDutyClient({ ...config, endpoint: endpoint.url });
  dt = new DetectiveClient({ ...config, endpoint: endpoint.url });
});
afterEach(async () => {
  gd.destroy();
  dt.destroy();
  await endpoint.stop();
});

test('GuardDuty round trip in camelCase: create, get, list', async () => {
  const DetectorId = endpoint.model.detectorId;
  await gd.send(new CreateMembersCommand({ DetectorId, AccountDetails: [{ AccountId: '111111111111', Email: 'a@example.com' }] }));
  const got = await gd.send(new GetMembersCommand({ DetectorId, AccountIds: ['111111111111', '222222222222'] }));
  expect(got.Members).toEqual([expect.objectContaining({ AccountId: '111111111111', RelationshipStatus: 'Created', Email: 'a@example.com' })]);
  expect(got.UnprocessedAccounts).toEqual([expect.objectContaining({ AccountId: '222222222222' })]);
  const listed = await gd.send(new ListMembersCommand({ DetectorId, OnlyAssociated: 'false' }));
  expect(listed.Members).toHaveLength(1);
  // onlyAssociated defaults to true: a Created member is not associated.
  expect((await gd.send(new ListMembersCommand({ DetectorId }))).Members).toHaveLength(0);
});

test('GuardDuty rejects more than 50 accounts and unknown detectors with BadRequestException', async () => {
  const DetectorId = endpoint.model.detectorId;
  await expect(gd.send(new GetMembersCommand({ DetectorId, AccountIds: ids(51) }))).rejects.toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
  await expect(gd.send(new ListMembersCommand({ DetectorId: 'other' }))).rejects.toMatchObject({ name: 'BadRequestException' });
  await expect(gd.send(new CreateMembersCommand({ DetectorId, AccountDetails: [{ AccountId: '123', Email: 'a@example.com' }] }))).rejects.toMatchObject({ name: 'BadRequestException' });
});

test('Detective round trip in PascalCase; validation, missing graph and quota errors', async () => {
  const GraphArn = endpoint.model.graphArn;
  const created = await dt.send(new DtCreate({ GraphArn, Accounts: [{ AccountId: '111111111111', EmailAddress: 'a@example.com' }] }));
  expect(created.Members).toEqual([expect.objectContaining({ AccountId: '111111111111', Status: 'INVITED' })]);
  const again = await dt.send(new DtCreate({ GraphArn, Accounts: [{ AccountId: '111111111111', EmailAddress: 'a@example.com' }] }));
  expect(again.UnprocessedAccounts).toEqual([{ AccountId: '111111111111', Reason: 'Account is already a member' }]);
  expect((await dt.send(new DtList({ GraphArn }))).MemberDetails).toHaveLength(1);

  await expect(dt.send(new DtCreate({ GraphArn, Accounts: ids(51).map((AccountId) => ({ AccountId, EmailAddress: 'a@example.com' })) })))
    .rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  await expect(dt.send(new DtList({ GraphArn: 'arn:aws:detective:us-east-1:999999999999:graph:nothex' }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(dt.send(new DtList({ GraphArn: GraphArn.replace(/0123/, 'ffff') }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });

  for (const id of ids(1199)) endpoint.model.detective.set(id, { accountId: id, email: 'x@example.com', status: 'ENABLED' });
  await expect(dt.send(new DtCreate({ GraphArn, Accounts: [{ AccountId: '999999999998', EmailAddress: 'a@example.com' }] })))
    .rejects.toMatchObject({ name: 'ServiceQuotaExceededException', $metadata: { httpStatusCode: 402 } });
});

test('the call log counts operations, accounts per call and peak concurrency', async () => {
  const DetectorId = endpoint.model.detectorId;
  await Promise.all(ids(3).map((id) => gd.send(new GetMembersCommand({ DetectorId, AccountIds: [id] }))));
  expect(endpoint.count('GetMembers')).toBe(3);
  expect(endpoint.maxAccountsPerCall()).toBe(1);
  expect(endpoint.peakConcurrency).toBeGreaterThanOrEqual(1);
});

test('the rate limit answers 429 past its one-second bucket and refills at the rate', async () => {
  endpoint.faults = { requestsPerSecond: 5 };
  // The buckets' clock stands still unless the test moves it: however slowly the requests arrive.
  let clock = 1_000;
  endpoint.now = () => clock;
  const DetectorId = endpoint.model.detectorId;
  const burst = await Promise.allSettled(ids(8).map((id) => gd.send(new GetMembersCommand({ DetectorId, AccountIds: [id] }))));
  expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
  expect(burst.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.$metadata.httpStatusCode)).toEqual([429, 429, 429]);
  expect(endpoint.count('GetMembers', 'throttled')).toBe(3);
  // 300 ms at 5 per second brings one token back (and not two).
  clock += 300;
  const after = await Promise.allSettled(ids(2).map((id) => gd.send(new GetMembersCommand({ DetectorId, AccountIds: [id] }))));
  expect(after.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
});

describe('GuardDuty and Detective as the services really behave', () => {
  const DetectorId = () => endpoint.model.detectorId;
  const GraphArn = () => endpoint.model.graphArn;
  const gdState = () => endpoint.model.state('GuardDuty');

  test('GetDetector answers the detector; a missing one is BadRequestException (400)', async () => {
    const got = await gd.send(new GetDetectorCommand({ DetectorId: DetectorId() }));
    expect(got).toMatchObject({ Status: 'ENABLED', FindingPublishingFrequency: 'SIX_HOURS', ServiceRole: expect.stringMatching(/AWSServiceRoleForAmazonGuardDuty$/) });
    expect(got.CreatedAt).toBeDefined();
    endpoint.model.detectorExists = false;
    await expect(gd.send(new GetDetectorCommand({ DetectorId: DetectorId() }))).rejects.toMatchObject({
      name: 'BadRequestException',
      message: 'The request is rejected because the input detectorId is not owned by the current account.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(endpoint.countFor('GuardDuty', 'GetDetector', 'BadRequestException')).toBe(1);
  });

  test('GuardDuty invites only to the root email (case-insensitively); a failed verification stays failed', async () => {
    const m = endpoint.model;
    const [a, b, c] = ids(3);
    m.rootEmails.set(a, 'root-a@example.com');
    m.rootEmails.set(b, 'Root-B@Example.com');
    await gd.send(new CreateMembersCommand({ DetectorId: DetectorId(), AccountDetails: [{ AccountId: a, Email: 'wrong@example.com' }, { AccountId: b, Email: 'root-b@example.com' }, { AccountId: c, Email: 'c@example.com' }] }));
    const invited = await gd.send(new InviteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a, b, c] }));
    expect(invited.UnprocessedAccounts).toEqual([]);
    expect(gdState()).toEqual({ [a]: 'EmailVerificationFailed', [b]: 'Invited', [c]: 'Invited' });
    expect([...m.invitations.keys()]).toEqual([`GuardDuty:${b}`, `GuardDuty:${c}`]);

    await gd.send(new InviteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(gdState()[a]).toBe('EmailVerificationFailed');
    // Deleted and created again with the root email, the invitation goes out.
    await gd.send(new DeleteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    await gd.send(new CreateMembersCommand({ DetectorId: DetectorId(), AccountDetails: [{ AccountId: a, Email: 'ROOT-A@example.com' }] }));
    await gd.send(new InviteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(gdState()[a]).toBe('Invited');
    const got = await gd.send(new GetMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(got.Members![0]).toMatchObject({ RelationshipStatus: 'Invited', AdministratorId: '999999999999', InvitedAt: expect.any(String) });
  });

  test('asyncVerification: EmailVerificationInProgress after InviteMembers, the outcome on the next read', async () => {
    const m = endpoint.model;
    m.asyncVerification = true;
    const [a, b] = ids(2);
    m.rootEmails.set(a, 'root-a@example.com');
    await gd.send(new CreateMembersCommand({ DetectorId: DetectorId(), AccountDetails: [{ AccountId: a, Email: 'wrong@example.com' }, { AccountId: b, Email: 'b@example.com' }] }));
    await gd.send(new InviteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a, b] }));
    expect(gdState()).toEqual({ [a]: 'EmailVerificationInProgress', [b]: 'EmailVerificationInProgress' });
    expect(m.invitations.size).toBe(0);

    const got = await gd.send(new GetMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(got.Members![0].RelationshipStatus).toBe('EmailVerificationFailed');
    expect(gdState()[b]).toBe('EmailVerificationInProgress');
    const listed = await gd.send(new ListMembersCommand({ DetectorId: DetectorId() }));
    expect(listed.Members!.map((x) => [x.AccountId, x.RelationshipStatus])).toEqual([[b, 'Invited']]);
    expect(m.invitations.get(`GuardDuty:${b}`)).toBe(1);
  });

  test('GuardDuty Disabled members have accepted: associated, not invitable, not deletable until disassociated', async () => {
    const [a] = ids(1);
    endpoint.model.guardDuty.set(a, { accountId: a, email: 'a@example.com', status: 'Disabled' });
    expect((await gd.send(new ListMembersCommand({ DetectorId: DetectorId() }))).Members!.map((x) => x.RelationshipStatus)).toEqual(['Disabled']);
    const invited = await gd.send(new InviteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(invited.UnprocessedAccounts![0].Result).toMatch(/already invited/);
    const deleted = await gd.send(new DeleteMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(deleted.UnprocessedAccounts![0].Result).toMatch(/still associated/);
    await gd.send(new DisassociateMembersCommand({ DetectorId: DetectorId(), AccountIds: [a] }));
    expect(gdState()[a]).toBe('Removed');
  });

  test('an InviteMembers that names an organization account is recorded and refused', async () => {
    const m = endpoint.model;
    const [org, other] = ids(2);
    m.organization.add(org);
    await gd.send(new CreateMembersCommand({ DetectorId: DetectorId(), AccountDetails: [{ AccountId: org, Email: 'o@example.com' }, { AccountId: other, Email: 'x@example.com' }] }));
    const invited = await gd.send(new InviteMembersCommand({ DetectorId: DetectorId(), AccountIds: [org, other] }));
    expect(invited.UnprocessedAccounts).toEqual([{ AccountId: org, Result: 'The request is rejected because an organization account cannot be invited.' }]);
    expect(m.invitesToOrganizationAccounts).toEqual([`GuardDuty:${org}`]);
    expect(gdState()).toEqual({ [org]: 'Enabled', [other]: 'Invited' });
  });

  test('Detective: a wrong root email is processed as VERIFICATION_FAILED; asynchronously, resolved on the next read', async () => {
    const m = endpoint.model;
    const [a, b, c, d] = ids(4);
    [a, c].forEach((id) => m.rootEmails.set(id, `root+${id}@example.com`));
    const created = await dt.send(new DtCreate({ GraphArn: GraphArn(), Accounts: [{ AccountId: a, EmailAddress: 'wrong@example.com' }, { AccountId: b, EmailAddress: 'b@example.com' }] }));
    expect(created.Members!.map((x) => [x.AccountId, x.Status])).toEqual([[a, 'VERIFICATION_FAILED'], [b, 'INVITED']]);
    expect(created.UnprocessedAccounts).toEqual([]);
    expect([...m.invitations.keys()]).toEqual([`Detective:${b}`]);

    m.asyncVerification = true;
    const later = await dt.send(new DtCreate({ GraphArn: GraphArn(), Accounts: [{ AccountId: c, EmailAddress: 'wrong@example.com' }, { AccountId: d, EmailAddress: 'd@example.com' }] }));
    expect(later.Members!.map((x) => x.Status)).toEqual(['VERIFICATION_IN_PROGRESS', 'VERIFICATION_IN_PROGRESS']);
    expect((await dt.send(new DtGet({ GraphArn: GraphArn(), AccountIds: [c] }))).MemberDetails![0].Status).toBe('VERIFICATION_FAILED');
    const listed = await dt.send(new DtList({ GraphArn: GraphArn() }));
    expect(listed.MemberDetails!.map((x) => [x.AccountId, x.Status])).toEqual([[a, 'VERIFICATION_FAILED'], [b, 'INVITED'], [c, 'VERIFICATION_FAILED'], [d, 'INVITED']]);
  });

  test('Detective organization accounts with a disabled reason join ACCEPTED_BUT_DISABLED', async () => {
    const m = endpoint.model;
    const [hot, plain] = ids(2);
    m.organization.add(hot).add(plain);
    m.disabledReason.set(hot, 'VOLUME_TOO_HIGH');
    const created = await dt.send(new DtCreate({ GraphArn: GraphArn(), Accounts: [hot, plain].map((AccountId) => ({ AccountId, EmailAddress: 'o@example.com' })) }));
    const expected = [
      expect.objectContaining({ AccountId: hot, Status: 'ACCEPTED_BUT_DISABLED', DisabledReason: 'VOLUME_TOO_HIGH', InvitationType: 'ORGANIZATION' }),
      expect.not.objectContaining({ DisabledReason: expect.anything() }),
    ];
    expect(created.Members).toEqual(expected);
    expect((await dt.send(new DtGet({ GraphArn: GraphArn(), AccountIds: [hot, plain] }))).MemberDetails).toEqual(expected);
    expect((await dt.send(new DtList({ GraphArn: GraphArn() }))).MemberDetails).toEqual(expected);
    expect(m.invitations.size).toBe(0);
  });
});

describe('one endpoint, every service', () => {
  const credentials = { accessKeyId: 't', secretAccessKey: 't' };
  const signed = (service: string) => `AWS4-HMAC-SHA256 Credential=t/20261121/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;

  test('routes by the credential scope, and by path or X-Amz-Target without one', async () => {
    const post = (headers: Record<string, string>, body: string, path = '/') => fetch(`${endpoint.url}${path}`, { method: 'POST', headers, body });
    const target = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' };
    const unsigned = await post(target, '{"Name":"/none"}');
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toEqual({ __type: 'ParameterNotFound', message: 'Parameter /none not found.' });
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('ParameterNotFound');

    // The scope wins over the path: a GuardDuty path signed for SSM is an unknown SSM operation.
    const scoped = await post({ 'authorization': signed('ssm'), 'content-type': 'application/x-amz-json-1.1' }, '{}', '/detector');
    expect(scoped.status).toBe(400);
    expect(await scoped.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const listed = await fetch(`${endpoint.url}/detector`, { headers: { authorization: signed('guardduty') } });
    expect(await listed.json()).toEqual({ detectorIds: [endpoint.model.detectorId] });
    const nowhere = await fetch(`${endpoint.url}/nothing`);
    expect(nowhere.status).toBe(404);
    expect(endpoint.calls.map((c) => [c.service, c.operation, c.outcome])).toEqual([
      ['SSM', 'GetParameter', 'ParameterNotFound'],
      [undefined, 'POST /detector', 'UnknownOperationException'],
      ['GuardDuty', 'ListDetectors', 'ok'],
      [undefined, 'GET /nothing', 'UnknownOperationException'],
    ]);
  });

  test('count matches an operation in any service, countFor in one', async () => {
    const sh = new SecurityHubClient({ ...config, endpoint: endpoint.url });
    await gd.send(new CreateMembersCommand({ DetectorId: endpoint.model.detectorId, AccountDetails: [{ AccountId: '111111111111', Email: 'a@example.com' }] }));
    await dt.send(new DtCreate({ GraphArn: endpoint.model.graphArn, Accounts: [{ AccountId: '111111111111', EmailAddress: 'a@example.com' }] }));
    await sh.send(new ShCreate({ AccountDetails: [{ AccountId: '111111111111', Email: 'a@example.com' }] }));
    sh.destroy();
    expect(endpoint.count('CreateMembers')).toBe(3);
    expect(endpoint.countFor('SecurityHub', 'CreateMembers')).toBe(1);
    expect(endpoint.countFor('SecurityHub', 'CreateMembers', 'throttled')).toBe(0);
    expect(endpoint.calls.map((c) => c.service)).toEqual(['GuardDuty', 'Detective', 'SecurityHub']);
  });

  interface Probe {
    readonly service: ServiceName;
    readonly operation: string;
    /** The SDK's error name and HTTP status for the service's throttling, and the name of its 500. */
    readonly throttled: [string, number];
    readonly internal: string;
    send(maxAttempts: number): Promise<unknown>;
    /** For mutating calls: whether the call was applied. */
    applied?(): boolean;
  }
  /** One call of each service with a fresh client, destroyed afterwards. */
  function probe<C extends { send(command: never): Promise<unknown>; destroy(): void }>(make: (cfg: object) => C, command: () => unknown) {
    return async (maxAttempts: number) => {
      const client = make({ region: 'us-east-1', endpoint: endpoint.url, credentials, maxAttempts });
      try {
        return await client.send(command() as never);
      } finally {
        client.destroy();
      }
    };
  }
  const probes: Probe[] = [
    {
      service: 'GuardDuty',
      operation: 'GetMembers',
      throttled: ['TooManyRequestsException', 429],
      internal: 'InternalServerErrorException',
      send: probe((c) => new GuardDutyClient(c), () => new GetMembersCommand({ DetectorId: endpoint.model.detectorId, AccountIds: ['111111111111'] })),
    },
    {
      service: 'Detective',
      operation: 'ListMembers',
      throttled: ['TooManyRequestsException', 429],
      internal: 'InternalServerException',
      send: probe((c) => new DetectiveClient(c), () => new DtList({ GraphArn: endpoint.model.graphArn })),
    },
    {
      service: 'SecurityHub',
      operation: 'CreateMembers',
      throttled: ['TooManyRequestsException', 429],
      internal: 'InternalException',
      send: probe((c) => new SecurityHubClient(c), () => new ShCreate({ AccountDetails: [{ AccountId: '111111111111', Email: 'a@example.com' }] })),
      applied: () => endpoint.model.securityHub.has('111111111111'),
    },
    {
      service: 'SSM',
      operation: 'PutParameter',
      throttled: ['ThrottlingException', 400],
      internal: 'InternalServerError',
      send: probe((c) => new SSMClient(c), () => new PutParameterCommand({ Name: '/claim', Value: 'v', Type: 'String' })),
      applied: () => endpoint.ssm.parameters.has('/claim'),
    },
    {
      service: 'CloudFormation',
      operation: 'DescribeStacks',
      throttled: ['Throttling', 400],
      internal: 'InternalFailure',
      send: probe((c) => new CloudFormationClient(c), () => new DescribeStacksCommand({})),
    },
    {
      service: 'Organizations',
      operation: 'ListRoots',
      throttled: ['TooManyRequestsException', 400],
      internal: 'ServiceException',
      send: probe((c) => new OrganizationsClient(c), () => new ListRootsCommand({})),
    },
    {
      service: 'CloudWatch',
      operation: 'PutMetricData',
      throttled: ['Throttling', 400],
      internal: 'InternalServiceFault',
      send: probe((c) => new CloudWatchClient(c), () => new PutMetricDataCommand({ Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 1 }] })),
      applied: () => endpoint.cloudWatch.metrics.length === 1,
    },
  ];

  test.each(probes)('$service: injected throttling is its own throttling error, which the SDK retries', async (p) => {
    endpoint.faults = { throttleRate: 1 };
    const [name, status] = p.throttled;
    await expect(p.send(2)).rejects.toMatchObject({ name, $metadata: { httpStatusCode: status, attempts: 2 } });
    expect(endpoint.countFor(p.service, p.operation, 'throttled')).toBe(2);
    // Served again once the throttling stops.
    endpoint.faults = {};
    await expect(p.send(1)).resolves.toBeDefined();
  });

  test.each(probes)('$service: an injected 500 is its own server error, which the SDK retries', async (p) => {
    endpoint.faults = { errorRate: 1 };
    await expect(p.send(2)).rejects.toMatchObject({ name: p.internal, $fault: 'server', $metadata: { httpStatusCode: 500, attempts: 2 } });
    expect(endpoint.countFor(p.service, p.operation, 'error')).toBe(2);
  });

  test.each(probes.filter((p) => p.applied))('$service: a lost answer was applied all the same', async (p) => {
    endpoint.faults = { lostRate: 1 };
    await expect(p.send(1)).rejects.toThrow();
    expect(endpoint.countFor(p.service, p.operation, 'lost')).toBe(1);
    expect(p.applied!()).toBe(true);
  });

  test('requestsPerSecond is a separate bucket for each member service', async () => {
    endpoint.faults = { requestsPerSecond: 3 };
    // A clock that stands still: no bucket refills, however slowly the requests arrive.
    endpoint.now = () => 1_000;
    const sh = new SecurityHubClient({ ...config, endpoint: endpoint.url });
    const ssm = new SSMClient({ ...config, endpoint: endpoint.url });
    const four = <T>(call: (i: number) => Promise<T>) => Promise.allSettled([0, 1, 2, 3].map(call));
    const [gdRun, dtRun, shRun, ssmRun] = await Promise.all([
      four((i) => gd.send(new GetMembersCommand({ DetectorId: endpoint.model.detectorId, AccountIds: [ids(4)[i]] }))),
      four(() => dt.send(new DtList({ GraphArn: endpoint.model.graphArn }))),
      four((i) => sh.send(new ShGet({ AccountIds: [ids(4)[i]] }))),
      four((i) => ssm.send(new GetParameterCommand({ Name: `/p${i}` })).catch((e) => e.name)),
    ]);
    sh.destroy();
    ssm.destroy();
    for (const run of [gdRun, dtRun, shRun]) {
      expect(run.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    }
    expect(shRun.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.$metadata.httpStatusCode)).toEqual([429]);
    for (const service of ['GuardDuty', 'Detective', 'SecurityHub'] as const) {
      expect(endpoint.calls.filter((c) => c.service === service && c.outcome === 'throttled')).toHaveLength(1);
    }
    // SSM is not a member service: requestsPerSecond does not limit it.
    expect(ssmRun.map((r) => (r as PromiseFulfilledResult<unknown>).value)).toEqual(Array(4).fill('ParameterNotFound'));
  });

  test('rates: by service or operation, the most specific key wins, burst is the bucket', async () => {
    endpoint.faults = {
      requestsPerSecond: 100,
      rates: { 'SSM': { perSecond: 1, burst: 2 }, 'SSM:PutParameter': { perSecond: 1 }, 'Organizations': { perSecond: 1, burst: 3 }, 'GuardDuty': { perSecond: 1 } },
    };
    endpoint.now = () => 1_000;
    const ssm = new SSMClient({ ...config, endpoint: endpoint.url });
    const orgs = new OrganizationsClient({ ...config, endpoint: endpoint.url });
    const sh = new SecurityHubClient({ ...config, endpoint: endpoint.url });
    const settle = (n: number, call: (i: number) => Promise<unknown>) => Promise.allSettled(Array.from({ length: n }, (_, i) => call(i)));
    const names = (results: PromiseSettledResult<unknown>[]) => results.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason.name)).sort();

    expect(names(await settle(2, (i) => ssm.send(new PutParameterCommand({ Name: `/p${i}`, Value: 'v', Type: 'String' }))))).toEqual(['ThrottlingException', 'ok']);
    endpoint.ssm.put({ Name: '/seeded', Value: 'v', Type: 'String' });
    expect(names(await settle(3, () => ssm.send(new GetParameterCommand({ Name: '/seeded' }))))).toEqual(['ThrottlingException', 'ok', 'ok']);
    expect(names(await settle(4, () => orgs.send(new ListRootsCommand({}))))).toEqual(['TooManyRequestsException', 'ok', 'ok', 'ok']);
    // The GuardDuty key wins over requestsPerSecond; Security Hub keeps requestsPerSecond.
    expect(names(await settle(2, () => gd.send(new ListMembersCommand({ DetectorId: endpoint.model.detectorId }))))).toEqual(['TooManyRequestsException', 'ok']);
    expect(names(await settle(5, () => sh.send(new ShGet({ AccountIds: ['111111111111'] }))))).toEqual(Array(5).fill('ok'));
    [ssm, orgs, sh].forEach((c) => c.destroy());
    expect(endpoint.countFor('SSM', 'PutParameter', 'throttled')).toBe(1);
    expect(endpoint.countFor('SSM', 'GetParameter', 'throttled')).toBe(1);
    expect(endpoint.countFor('Organizations', 'ListRoots', 'throttled')).toBe(1);
  });

  test('latency applies to every service, and peak concurrency counts across services', async () => {
    endpoint.faults = { latencyMs: 150 };
    const cfn = new CloudFormationClient({ ...config, endpoint: endpoint.url });
    const orgs = new OrganizationsClient({ ...config, endpoint: endpoint.url });
    const ssm = new SSMClient({ ...config, endpoint: endpoint.url });
    const started = performance.now();
    await Promise.all([
      cfn.send(new DescribeStacksCommand({})),
      orgs.send(new ListRootsCommand({})),
      ssm.send(new GetParameterCommand({ Name: '/x' })).catch(() => undefined),
    ]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(endpoint.peakConcurrency).toBe(3);
    [cfn, orgs, ssm].forEach((c) => c.destroy());
  });
});
