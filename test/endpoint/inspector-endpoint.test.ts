/**
 * Inspector (inspector2) through the real SDK client: REST-JSON in camelCase, asynchronous
 * association, organization accounts only, per-account Enable results, quota and throttling.
 */
import {
  AssociateMemberCommand,
  BatchGetAccountStatusCommand,
  DisassociateMemberCommand,
  EnableCommand,
  GetMemberCommand,
  Inspector2Client,
  ListMembersCommand,
  paginateListMembers,
} from '@aws-sdk/client-inspector2';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let inspector: Inspector2Client;
const credentials = { accessKeyId: 't', secretAccessKey: 't' };
const ids = (n: number, start = 100000000000) => Array.from({ length: n }, (_, i) => String(start + i));
const statusOf = async (accountId: string) => (await inspector.send(new GetMemberCommand({ accountId }))).member?.relationshipStatus;
/** Organization accounts, already associated and ENABLED, straight into the model. */
const enabledMembers = (list: string[]) => list.forEach((accountId) => {
  endpoint.inspector.organization.add(accountId);
  endpoint.inspector.members.set(accountId, { accountId, status: 'ENABLED', updatedAt: 0 });
});

beforeEach(async () => {
  endpoint = await startEndpoint();
  inspector = new Inspector2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials, maxAttempts: 1 });
});
afterEach(async () => {
  inspector.destroy();
  await endpoint.stop();
});

test('AssociateMember answers at once; GetMember shows CREATED on the next read, then ENABLED', async () => {
  const [a] = ids(1);
  endpoint.inspector.organization.add(a);
  expect(await inspector.send(new AssociateMemberCommand({ accountId: a }))).toMatchObject({ accountId: a });
  const first = await inspector.send(new GetMemberCommand({ accountId: a }));
  expect(first.member).toEqual({ accountId: a, relationshipStatus: 'CREATED', delegatedAdminAccountId: '999999999999', updatedAt: expect.any(Date) });
  expect(await statusOf(a)).toBe('ENABLED');
  // Asking again while associated starts nothing.
  await inspector.send(new AssociateMemberCommand({ accountId: a }));
  expect(endpoint.inspector.state()).toEqual({ [a]: 'ENABLED' });
  expect(endpoint.calls.filter((c) => c.service === 'Inspector2').map((c) => [c.operation, c.accounts])).toEqual([
    ['AssociateMember', 1], ['GetMember', 1], ['GetMember', 1], ['AssociateMember', 1],
  ]);
});

test('settleAfter: a configurable number of reads, or of milliseconds on the model clock; ListMembers reads too', async () => {
  const [a, b] = ids(2);
  const m = endpoint.inspector;
  [a, b].forEach((id) => m.organization.add(id));
  m.settleAfter = { reads: 3 };
  m.associatingStatus = 'EMAIL_VERIFICATION_IN_PROGRESS';
  await inspector.send(new AssociateMemberCommand({ accountId: a }));
  expect(await statusOf(a)).toBe('EMAIL_VERIFICATION_IN_PROGRESS');
  expect((await inspector.send(new ListMembersCommand({}))).members?.map((x) => x.relationshipStatus)).toEqual(['EMAIL_VERIFICATION_IN_PROGRESS']);
  expect(await statusOf(a)).toBe('EMAIL_VERIFICATION_IN_PROGRESS');
  expect(await statusOf(a)).toBe('ENABLED');

  let clock = 1_000;
  m.now = () => clock;
  m.settleAfter = { ms: 500 };
  await inspector.send(new AssociateMemberCommand({ accountId: b }));
  for (let i = 0; i < 5; i++) expect(await statusOf(b)).toBe('EMAIL_VERIFICATION_IN_PROGRESS');
  clock += 500;
  expect(m.state()[b]).toBe('ENABLED');
});

test('DisassociateMember answers at once; the member reads ENABLED until it is REMOVED; then only listed with onlyAssociated false', async () => {
  const [a, b] = ids(2);
  enabledMembers([a, b]);
  expect(await inspector.send(new DisassociateMemberCommand({ accountId: a }))).toMatchObject({ accountId: a });
  expect(await statusOf(a)).toBe('ENABLED');
  expect(await statusOf(a)).toBe('REMOVED');
  expect((await inspector.send(new ListMembersCommand({}))).members?.map((x) => x.accountId)).toEqual([b]);
  expect((await inspector.send(new ListMembersCommand({ onlyAssociated: false }))).members?.map((x) => [x.accountId, x.relationshipStatus]))
    .toEqual([[a, 'REMOVED'], [b, 'ENABLED']]);
  await expect(inspector.send(new DisassociateMemberCommand({ accountId: a }))).rejects.toMatchObject({
    name: 'ValidationException',
    message: 'The request is rejected because the current account cannot disassociate the given member account ID since the latter is not yet associated to it.',
    $metadata: { httpStatusCode: 400 },
  });
  // Associated again: CREATED, then ENABLED.
  await inspector.send(new AssociateMemberCommand({ accountId: a }));
  expect([await statusOf(a), await statusOf(a)]).toEqual(['CREATED', 'ENABLED']);
});

test('organization accounts only: any other account is AccessDeniedException (403); an unassociated one is not found', async () => {
  const [outsider, unassociated] = ids(2);
  endpoint.inspector.organization.add(unassociated);
  await expect(inspector.send(new AssociateMemberCommand({ accountId: outsider }))).rejects.toMatchObject({
    name: 'AccessDeniedException', message: 'Invoking account does not have access to associate member account', $metadata: { httpStatusCode: 403 },
  });
  await expect(inspector.send(new GetMemberCommand({ accountId: outsider }))).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
  await expect(inspector.send(new GetMemberCommand({ accountId: unassociated }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  await expect(inspector.send(new AssociateMemberCommand({ accountId: '123' }))).rejects.toMatchObject({ name: 'ValidationException', reason: 'FIELD_VALIDATION_FAILED', fields: [expect.objectContaining({ name: 'accountId' })] });
  expect(endpoint.inspector.state()).toEqual({});
});

test('accounts configured to end in REGION_DISABLED or ACCOUNT_SUSPENDED do so after association', async () => {
  const [a, b] = ids(2);
  const m = endpoint.inspector;
  [a, b].forEach((id) => m.organization.add(id));
  m.endsIn.set(a, 'REGION_DISABLED');
  m.endsIn.set(b, 'ACCOUNT_SUSPENDED');
  await inspector.send(new AssociateMemberCommand({ accountId: a }));
  await inspector.send(new AssociateMemberCommand({ accountId: b }));
  expect([await statusOf(a), await statusOf(b)]).toEqual(['CREATED', 'CREATED']);
  expect([await statusOf(a), await statusOf(b)]).toEqual(['REGION_DISABLED', 'ACCOUNT_SUSPENDED']);
});

test('the 10,000-member quota: one association past it is ServiceQuotaExceededException (402) naming the quota', async () => {
  enabledMembers(ids(9999));
  const [last, over] = ids(2, 200000000000);
  [last, over].forEach((id) => endpoint.inspector.organization.add(id));
  await inspector.send(new AssociateMemberCommand({ accountId: last }));
  await expect(inspector.send(new AssociateMemberCommand({ accountId: over }))).rejects.toMatchObject({
    name: 'ServiceQuotaExceededException',
    message: 'The request is rejected because it would exceed the quota of 10000 associated member accounts per delegated administrator.',
    resourceId: over,
    $metadata: { httpStatusCode: 402 },
  });
  // A removed member frees its place.
  endpoint.inspector.members.get(ids(1)[0])!.status = 'REMOVED';
  await inspector.send(new AssociateMemberCommand({ accountId: over }));
});

test('Enable: scan types per account; failing, unassociated and suspended accounts are failedAccounts; at most 100', async () => {
  const [a, b, c, d] = ids(4);
  enabledMembers([a, b, c]);
  endpoint.inspector.members.get(c)!.status = 'ACCOUNT_SUSPENDED';
  endpoint.inspector.enableFailures.set(b, { errorCode: 'SSM_UNAVAILABLE', errorMessage: 'SSM is unavailable in the account.' });
  const enabled = await inspector.send(new EnableCommand({ accountIds: [a, b, c, d], resourceTypes: ['EC2', 'LAMBDA'] }));
  expect(enabled.accounts).toEqual([{ accountId: a, status: 'ENABLING', resourceStatus: { ec2: 'ENABLING', ecr: 'DISABLED', lambda: 'ENABLING', lambdaCode: 'DISABLED', codeRepository: 'DISABLED' } }]);
  expect(enabled.failedAccounts).toEqual([
    expect.objectContaining({ accountId: b, errorCode: 'SSM_UNAVAILABLE', errorMessage: 'SSM is unavailable in the account.', status: 'DISABLED' }),
    expect.objectContaining({ accountId: c, errorCode: 'ACCOUNT_IS_ISOLATED' }),
    expect.objectContaining({ accountId: d, errorCode: 'ACCESS_DENIED', errorMessage: expect.stringMatching(/not an associated member/) }),
  ]);
  // Enabled types already on answer ENABLED; the administrator is the default account.
  const again = await inspector.send(new EnableCommand({ accountIds: [a], resourceTypes: ['EC2'] }));
  expect(again.accounts?.[0]).toMatchObject({ status: 'ENABLED', resourceStatus: { ec2: 'ENABLED', lambda: 'ENABLED' } });
  expect((await inspector.send(new EnableCommand({ resourceTypes: ['ECR'] }))).accounts?.[0]).toMatchObject({ accountId: '999999999999' });
  await expect(inspector.send(new EnableCommand({ accountIds: ids(101), resourceTypes: ['EC2'] }))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  await expect(inspector.send(new EnableCommand({ accountIds: [a], resourceTypes: ['EKS' as 'EC2'] }))).rejects.toMatchObject({ name: 'ValidationException' });
  expect(endpoint.calls.find((c2) => c2.operation === 'Enable')).toMatchObject({ accounts: 4, accountIds: [a, b, c, d] });
});

test('BatchGetAccountStatus: state and every resource state with errorCode and errorMessage; non-members failed; at most 100', async () => {
  const [a, d] = ids(2);
  enabledMembers([a]);
  await inspector.send(new EnableCommand({ accountIds: [a], resourceTypes: ['ECR', 'LAMBDA_CODE'] }));
  const got = await inspector.send(new BatchGetAccountStatusCommand({ accountIds: [a, d] }));
  const on = { status: 'ENABLED', errorCode: '', errorMessage: '' };
  const off = { ...on, status: 'DISABLED' };
  expect(got.accounts).toEqual([{ accountId: a, state: on, resourceState: { ec2: off, ecr: on, lambda: off, lambdaCode: on, codeRepository: off } }]);
  expect(got.failedAccounts).toEqual([{ accountId: d, errorCode: 'ACCESS_DENIED', errorMessage: expect.any(String) }]);
  expect((await inspector.send(new BatchGetAccountStatusCommand({}))).accounts?.[0]).toMatchObject({ accountId: '999999999999', state: off });
  await expect(inspector.send(new BatchGetAccountStatusCommand({ accountIds: ids(101) }))).rejects.toMatchObject({ name: 'ValidationException' });
});

test('ListMembers pages of at most 50; more is ValidationException; the SDK paginator walks every page', async () => {
  enabledMembers(ids(120));
  const first = await inspector.send(new ListMembersCommand({ maxResults: 50 }));
  expect(first.members).toHaveLength(50);
  expect(first.nextToken).toBeDefined();
  await expect(inspector.send(new ListMembersCommand({ maxResults: 51 }))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  const sizes: number[] = [];
  for await (const page of paginateListMembers({ client: inspector, pageSize: 50 }, {})) sizes.push(page.members?.length ?? 0);
  expect(sizes).toEqual([50, 50, 20]);
});

test('throttling is ThrottlingException (429): surfaced with maxAttempts 1, retried by the SDK otherwise; 500 is InternalServerException', async () => {
  const [a] = ids(1);
  enabledMembers([a]);
  endpoint.faults = { requestsPerSecond: 1 };
  let clock = 1_000;
  endpoint.now = () => clock;
  await inspector.send(new GetMemberCommand({ accountId: a }));
  await expect(inspector.send(new GetMemberCommand({ accountId: a }))).rejects.toMatchObject({
    name: 'ThrottlingException', message: 'The limit on the number of requests per second was exceeded.', $metadata: { httpStatusCode: 429 },
  });
  // Each look at the clock moves it 0.6 s on: the retry finds a token the first try did not.
  endpoint.now = () => (clock += 600);
  const retrying = new Inspector2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials, maxAttempts: 3 });
  await expect(retrying.send(new GetMemberCommand({ accountId: a }))).resolves.toBeDefined();
  retrying.destroy();
  expect(endpoint.countFor('Inspector2', 'GetMember', 'throttled')).toBe(2);

  endpoint.faults = { errorRate: 1 };
  await expect(inspector.send(new GetMemberCommand({ accountId: a }))).rejects.toMatchObject({ name: 'InternalServerException', $metadata: { httpStatusCode: 500 } });
});
