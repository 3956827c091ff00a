/** The endpoint speaks the wire protocol the SDK expects, and validates requests as the services do. */
import { CreateMembersCommand as DtCreate, DetectiveClient, ListMembersCommand as DtList } from '@aws-sdk/client-detective';
import { CreateMembersCommand, GetMembersCommand, GuardDutyClient, ListMembersCommand } from '@aws-sdk/client-guardduty';
import { Endpoint, startEndpoint } from './member-endpoint';

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
  const DetectorId = endpoint.model.detectorId;
  const burst = await Promise.allSettled(ids(8).map((id) => gd.send(new GetMembersCommand({ DetectorId, AccountIds: [id] }))));
  expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
  expect(burst.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.$metadata.httpStatusCode)).toEqual([429, 429, 429]);
  expect(endpoint.count('GetMembers', 'throttled')).toBe(3);
  // 300 ms at 5 per second brings one token back (and not two).
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = await Promise.allSettled(ids(2).map((id) => gd.send(new GetMembersCommand({ DetectorId, AccountIds: [id] }))));
  expect(after.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
});
