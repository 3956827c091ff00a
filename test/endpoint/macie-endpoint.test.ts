/**
 * Macie (macie2) through the real SDK client: REST-JSON in camelCase with the account in the path,
 * one CreateMember per account, invitations with email verification, quotas by how accounts
 * joined, and CreateMember's burst throttling.
 */
import {
  CreateInvitationsCommand,
  CreateMemberCommand,
  DeleteMemberCommand,
  DisassociateMemberCommand,
  GetMemberCommand,
  ListMembersCommand,
  Macie2Client,
  paginateListMembers,
} from '@aws-sdk/client-macie2';
import { Endpoint, MacieStatus, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let macie: Macie2Client;
const credentials = { accessKeyId: 't', secretAccessKey: 't' };
const ids = (n: number, start = 100000000000) => Array.from({ length: n }, (_, i) => String(start + i));
const emailOf = (accountId: string) => `root+${accountId}@example.com`;
const create = (accountId: string, client = macie) => client.send(new CreateMemberCommand({ account: { accountId, email: emailOf(accountId) } }));
const statusOf = async (id: string) => (await macie.send(new GetMemberCommand({ id }))).relationshipStatus;
/** Members straight into the model. */
const members = (list: string[], status: MacieStatus) => list.forEach((accountId) =>
  endpoint.macie.members.set(accountId, { accountId, email: emailOf(accountId), status, tags: {}, updatedAt: '2026-01-01T00:00:00.000Z' }));

beforeEach(async () => {
  endpoint = await startEndpoint();
  macie = new Macie2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials, maxAttempts: 1 });
});
afterEach(async () => {
  macie.destroy();
  await endpoint.stop();
});

test('CreateMember: one account per call, organization accounts Enabled without an email in reads, others Created', async () => {
  const [org, other] = ids(2);
  endpoint.macie.organization.add(org);
  expect((await create(org)).arn).toBe(`arn:aws:macie2:us-east-1:999999999999:member/${org}`);
  await macie.send(new CreateMemberCommand({ account: { accountId: other, email: emailOf(other) }, tags: { team: 'data' } }));
  const got = await macie.send(new GetMemberCommand({ id: other }));
  expect(got).toMatchObject({
    accountId: other,
    administratorAccountId: '999999999999',
    masterAccountId: '999999999999',
    arn: expect.stringMatching(/:member\/100000000001$/),
    email: emailOf(other),
    relationshipStatus: 'Created',
    tags: { team: 'data' },
    updatedAt: expect.any(Date),
  });
  expect(got.invitedAt).toBeUndefined();
  const orgMember = await macie.send(new GetMemberCommand({ id: org }));
  expect(orgMember.relationshipStatus).toBe('Enabled');
  expect(orgMember.email ?? undefined).toBeUndefined();
  expect(endpoint.calls.filter((c) => c.operation === 'CreateMember').map((c) => c.accountIds)).toEqual([[org], [other]]);
});

test('CreateMember of an existing member is ConflictException (409); a removed one may be created again', async () => {
  const [a] = ids(1);
  endpoint.macie.organization.add(a);
  await create(a);
  await expect(create(a)).rejects.toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
  await macie.send(new DisassociateMemberCommand({ id: a }));
  expect(endpoint.macie.state()).toEqual({ [a]: 'Removed' });
  await create(a);
  expect(await statusOf(a)).toBe('Enabled');
  await expect(macie.send(new CreateMemberCommand({ account: { accountId: '12', email: 'a@example.com' } }))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
});

test('CreateInvitations: the invitation goes only to the root email; otherwise EmailVerificationFailed', async () => {
  const [a, b] = ids(2);
  await create(a);
  await create(b);
  endpoint.macie.rootEmails.set(a, emailOf(a).toUpperCase());
  endpoint.macie.rootEmails.set(b, 'someone-else@example.com');
  const invited = await macie.send(new CreateInvitationsCommand({ accountIds: [a, b], message: 'Join us', disableEmailNotification: true }));
  expect(invited.unprocessedAccounts).toEqual([]);
  expect(endpoint.macie.state()).toEqual({ [a]: 'Invited', [b]: 'EmailVerificationFailed' });
  expect(endpoint.macie.invitations).toEqual([{ accountId: a, email: emailOf(a), message: 'Join us', emailed: false }]);
  expect((await macie.send(new GetMemberCommand({ id: a }))).invitedAt).toEqual(expect.any(Date));
  // A failed verification stays failed.
  await macie.send(new CreateInvitationsCommand({ accountIds: [b] }));
  expect(await statusOf(b)).toBe('EmailVerificationFailed');
});

test('asyncVerification: EmailVerificationInProgress after CreateInvitations, Invited on the next read', async () => {
  const [a] = ids(1);
  endpoint.macie.asyncVerification = true;
  await create(a);
  await macie.send(new CreateInvitationsCommand({ accountIds: [a], message: 'hello' }));
  expect(endpoint.macie.state()).toEqual({ [a]: 'EmailVerificationInProgress' });
  expect(endpoint.macie.invitations).toEqual([]);
  expect(await statusOf(a)).toBe('Invited');
  expect(endpoint.macie.invitations).toEqual([{ accountId: a, email: emailOf(a), message: 'hello', emailed: true }]);
});

test('unprocessedAccounts: organization accounts, non-members and invited accounts, with errorCode and errorMessage; at most 50', async () => {
  const [org, stranger, invited] = ids(3);
  endpoint.macie.organization.add(org);
  await create(org);
  await create(invited);
  await macie.send(new CreateInvitationsCommand({ accountIds: [invited] }));
  const again = await macie.send(new CreateInvitationsCommand({ accountIds: [org, stranger, invited] }));
  expect(again.unprocessedAccounts).toEqual([
    { accountId: org, errorCode: 'ClientError', errorMessage: expect.stringMatching(/organization/) },
    { accountId: stranger, errorCode: 'ClientError', errorMessage: expect.stringMatching(/not a member/) },
    { accountId: invited, errorCode: 'ClientError', errorMessage: expect.stringMatching(/already been invited/) },
  ]);
  expect(endpoint.macie.invitations).toHaveLength(1);
  await expect(macie.send(new CreateInvitationsCommand({ accountIds: ids(51) }))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
});

test('DeleteMember is refused while associated; DisassociateMember then DeleteMember; unknown accounts are ResourceNotFoundException', async () => {
  const [a] = ids(1);
  await create(a);
  await macie.send(new CreateInvitationsCommand({ accountIds: [a] }));
  await expect(macie.send(new DeleteMemberCommand({ id: a }))).rejects.toMatchObject({ name: 'ConflictException', message: expect.stringMatching(/still associated/), $metadata: { httpStatusCode: 409 } });
  await macie.send(new DisassociateMemberCommand({ id: a }));
  expect(await statusOf(a)).toBe('Removed');
  await macie.send(new DeleteMemberCommand({ id: a }));
  await expect(macie.send(new GetMemberCommand({ id: a }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  await expect(macie.send(new DisassociateMemberCommand({ id: a }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  expect(endpoint.calls.map((c) => c.operation)).toEqual(expect.arrayContaining(['DisassociateMember', 'DeleteMember']));
});

test('ListMembers: current members by default, every account with onlyAssociated "false"; pages of at most 50', async () => {
  members(ids(70), 'Enabled');
  members(ids(50, 200000000000), 'Created');
  expect((await macie.send(new ListMembersCommand({ maxResults: 50 }))).members).toHaveLength(50);
  const sizes: number[] = [];
  for await (const page of paginateListMembers({ client: macie, pageSize: 50 }, { onlyAssociated: 'false' })) sizes.push(page.members?.length ?? 0);
  expect(sizes).toEqual([50, 50, 20]);
  const associated: number[] = [];
  for await (const page of paginateListMembers({ client: macie, pageSize: 50 }, {})) associated.push(page.members?.length ?? 0);
  expect(associated).toEqual([50, 20]);
  await expect(macie.send(new ListMembersCommand({ maxResults: 51 }))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
});

test('quotas: 1,000 members by invitation and 10,000 through Organizations, each ServiceQuotaExceededException (402)', async () => {
  members(ids(1000), 'Invited');
  const [other, org] = ids(2, 300000000000);
  endpoint.macie.organization.add(org);
  await expect(create(other)).rejects.toMatchObject({
    name: 'ServiceQuotaExceededException',
    message: 'The request failed because it would exceed the quota of 1000 member accounts associated by invitation.',
    $metadata: { httpStatusCode: 402 },
  });
  await create(org);
  const orgAccounts = ids(9999, 400000000000);
  orgAccounts.forEach((id) => endpoint.macie.organization.add(id));
  members(orgAccounts, 'Enabled');
  const [next] = ids(1, 500000000000);
  endpoint.macie.organization.add(next);
  await expect(create(next)).rejects.toMatchObject({ name: 'ServiceQuotaExceededException', message: expect.stringMatching(/10000 member accounts associated through AWS Organizations/) });
});

test('CreateMember throttles in bursts: ThrottlingException (429) with maxAttempts 1; the SDK retries it otherwise', async () => {
  let clock = 1_000;
  endpoint.macie.now = () => clock;
  endpoint.macie.createMemberLimit = { perSecond: 2, burst: 2 };
  const burst = await Promise.allSettled(ids(3).map((id) => create(id)));
  expect(burst.map((r) => r.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  expect(burst.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.objectContaining({
    name: 'ThrottlingException', message: 'The request failed because you sent too many requests during a certain amount of time.', $metadata: expect.objectContaining({ httpStatusCode: 429 }),
  })]);
  expect(endpoint.count('CreateMember', 'throttled')).toBe(1);
  expect(Object.keys(endpoint.macie.state())).toHaveLength(2);
  // Each look at the clock moves it 0.3 s on: the retry finds a token the first try did not.
  endpoint.macie.now = () => (clock += 300);
  const retrying = new Macie2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials, maxAttempts: 3 });
  await expect(create(ids(1, 600000000000)[0], retrying)).resolves.toMatchObject({ arn: expect.any(String) });
  retrying.destroy();
  expect(endpoint.count('CreateMember', 'throttled')).toBe(2);
});

test('requestsPerSecond applies to Macie too; errorRate answers InternalServerException (500)', async () => {
  endpoint.faults = { requestsPerSecond: 1 };
  endpoint.now = () => 1_000;
  members(ids(1), 'Enabled');
  await macie.send(new ListMembersCommand({}));
  await expect(macie.send(new ListMembersCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
  expect(endpoint.countFor('Macie2', 'ListMembers', 'throttled')).toBe(1);
  endpoint.faults = { errorRate: 1 };
  await expect(macie.send(new GetMemberCommand({ id: ids(1)[0] }))).rejects.toMatchObject({ name: 'InternalServerException', $metadata: { httpStatusCode: 500 } });
});
