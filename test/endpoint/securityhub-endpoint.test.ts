/** Security Hub through the real SDK client: REST-JSON in PascalCase, its member rules and errors. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DescribeHubCommand,
  DisassociateMembersCommand,
  GetMembersCommand,
  InviteMembersCommand,
  ListMembersCommand,
  paginateListMembers,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let sh: SecurityHubClient;
const ids = (n: number, start = 100000000000) => Array.from({ length: n }, (_, i) => String(start + i));
const details = (list: string[]) => list.map((AccountId) => ({ AccountId, Email: `root+${AccountId}@example.com` }));

beforeEach(async () => {
  endpoint = await startEndpoint();
  sh = new SecurityHubClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
});
afterEach(async () => {
  sh.destroy();
  await endpoint.stop();
});

test('DescribeHub answers the hub; without one every call is InvalidAccessException (401)', async () => {
  const hub = await sh.send(new DescribeHubCommand({}));
  expect(hub).toMatchObject({ HubArn: 'arn:aws:securityhub:us-east-1:999999999999:hub/default', AutoEnableControls: true });
  expect(hub.SubscribedAt).toMatch(/^2026-/);
  await expect(sh.send(new DescribeHubCommand({ HubArn: 'arn:aws:securityhub:us-east-1:111111111111:hub/default' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

  endpoint.model.hubEnabled = false;
  const notSubscribed = { name: 'InvalidAccessException', message: 'Account 999999999999 is not subscribed to AWS Security Hub', $metadata: { httpStatusCode: 401 } };
  await expect(sh.send(new DescribeHubCommand({}))).rejects.toMatchObject(notSubscribed);
  await expect(sh.send(new CreateMembersCommand({ AccountDetails: details(ids(1)) }))).rejects.toMatchObject(notSubscribed);
  await expect(sh.send(new ListMembersCommand({}))).rejects.toMatchObject(notSubscribed);
  expect(endpoint.countFor('SecurityHub', 'CreateMembers', 'InvalidAccessException')).toBe(1);
});

test('invited accounts: create (Created), invite (Invited), disassociate (Removed), delete', async () => {
  const [a, b] = ids(2);
  const created = await sh.send(new CreateMembersCommand({ AccountDetails: details([a, b]) }));
  expect(created.UnprocessedAccounts).toEqual([]);
  expect(endpoint.model.state('SecurityHub')).toEqual({ [a]: 'Created', [b]: 'Created' });

  const invited = await sh.send(new InviteMembersCommand({ AccountIds: [a] }));
  expect(invited.UnprocessedAccounts).toEqual([]);
  const again = await sh.send(new InviteMembersCommand({ AccountIds: [a, '100000000099'] }));
  expect(again.UnprocessedAccounts).toEqual([
    { AccountId: a, ProcessingResult: expect.stringMatching(/already been invited/) },
    { AccountId: '100000000099', ProcessingResult: expect.stringMatching(/not a member/) },
  ]);
  expect(endpoint.model.invitations.get(`SecurityHub:${a}`)).toBe(1);

  const got = await sh.send(new GetMembersCommand({ AccountIds: [a, b, '100000000099'] }));
  expect(got.Members).toEqual([
    expect.objectContaining({ AccountId: a, Email: `root+${a}@example.com`, AdministratorId: '999999999999', MasterId: '999999999999', MemberStatus: 'Invited' }),
    expect.objectContaining({ AccountId: b, MemberStatus: 'Created' }),
  ]);
  expect(got.Members![0].InvitedAt).toBeInstanceOf(Date);
  expect(got.Members![0].UpdatedAt).toBeInstanceOf(Date);
  expect(got.UnprocessedAccounts).toEqual([expect.objectContaining({ AccountId: '100000000099' })]);

  // Still associated: disassociate first.
  const refused = await sh.send(new DeleteMembersCommand({ AccountIds: [a] }));
  expect(refused.UnprocessedAccounts).toEqual([{ AccountId: a, ProcessingResult: expect.stringMatching(/still associated/) }]);
  await sh.send(new DisassociateMembersCommand({ AccountIds: [a] }));
  expect(endpoint.model.state('SecurityHub')[a]).toBe('Removed');
  const deleted = await sh.send(new DeleteMembersCommand({ AccountIds: [a, b] }));
  expect(deleted.UnprocessedAccounts).toEqual([]);
  expect(endpoint.model.state('SecurityHub')).toEqual({});
});

test('organization accounts are enabled by CreateMembers, never invitable, and cannot be deleted', async () => {
  const [org, other] = ids(2);
  endpoint.model.organization.add(org);
  await sh.send(new CreateMembersCommand({ AccountDetails: [{ AccountId: org }, ...details([other])] }));
  expect(endpoint.model.state('SecurityHub')).toEqual({ [org]: 'Enabled', [other]: 'Created' });

  const invited = await sh.send(new InviteMembersCommand({ AccountIds: [org, other] }));
  expect(invited.UnprocessedAccounts).toEqual([{ AccountId: org, ProcessingResult: expect.stringMatching(/organization accounts .* do not receive invitations/) }]);
  expect(endpoint.model.invitesToOrganizationAccounts).toEqual([`SecurityHub:${org}`]);
  expect(endpoint.model.invitations.has(`SecurityHub:${org}`)).toBe(false);

  await sh.send(new DisassociateMembersCommand({ AccountIds: [org] }));
  const deleted = await sh.send(new DeleteMembersCommand({ AccountIds: [org] }));
  expect(deleted.UnprocessedAccounts).toEqual([{ AccountId: org, ProcessingResult: expect.stringMatching(/cannot be deleted, only disassociated/) }]);
  expect(endpoint.model.state('SecurityHub')[org]).toBe('Removed');
  // A removed organization account comes back through CreateMembers.
  await sh.send(new CreateMembersCommand({ AccountDetails: [{ AccountId: org }] }));
  expect(endpoint.model.state('SecurityHub')[org]).toBe('Enabled');
});

test('CreateMembers leaves bound, existing and over-quota accounts unprocessed', async () => {
  const m = endpoint.model;
  const [bound, existing, extra, org, orgExtra] = ids(5);
  m.boundElsewhere.set(bound, 'The account is already a member of another administrator account.');
  m.securityHub.set(existing, { accountId: existing, email: 'x@example.com', status: 'Enabled' });
  m.organization.add(org).add(orgExtra);
  m.securityHubQuota.invitation = 1;
  m.securityHubQuota.organization = 1;
  const AccountDetails = [...details([bound, existing, extra]), { AccountId: org }, { AccountId: orgExtra }];
  const created = await sh.send(new CreateMembersCommand({ AccountDetails }));
  expect(created.UnprocessedAccounts).toEqual([
    { AccountId: bound, ProcessingResult: 'The account is already a member of another administrator account.' },
    { AccountId: existing, ProcessingResult: expect.stringMatching(/already a member/) },
    { AccountId: extra, ProcessingResult: 'The request would exceed the limit of 1 member accounts associated by invitation.' },
    { AccountId: orgExtra, ProcessingResult: 'The request would exceed the limit of 1 member accounts associated through AWS Organizations.' },
  ]);
  expect(m.state('SecurityHub')).toEqual({ [existing]: 'Enabled', [org]: 'Enabled' });
  expect(m.securityHubQuota).toEqual({ invitation: 1, organization: 1 });
});

test('the real quotas: 1,000 invitation members and 10,000 organization members', async () => {
  const m = endpoint.model;
  for (const id of ids(1000, 200000000000)) m.securityHub.set(id, { accountId: id, email: 'x@example.com', status: 'Invited' });
  for (const id of ids(10000, 300000000000)) {
    m.organization.add(id);
    m.securityHub.set(id, { accountId: id, email: '', status: 'Enabled' });
  }
  m.organization.add('400000000000');
  const created = await sh.send(new CreateMembersCommand({ AccountDetails: [...details(['100000000000']), { AccountId: '400000000000' }] }));
  expect(created.UnprocessedAccounts?.map((u) => u.ProcessingResult)).toEqual([
    expect.stringMatching(/limit of 1000 member accounts associated by invitation/),
    expect.stringMatching(/limit of 10000 member accounts associated through AWS Organizations/),
  ]);
});

test('validation: 1 to 50 accounts of 12 digits, InvalidInputException (400)', async () => {
  const invalid = { name: 'InvalidInputException', $metadata: { httpStatusCode: 400 } };
  await expect(sh.send(new CreateMembersCommand({ AccountDetails: details(ids(51)) }))).rejects.toMatchObject(invalid);
  await expect(sh.send(new InviteMembersCommand({ AccountIds: [] }))).rejects.toMatchObject(invalid);
  await expect(sh.send(new GetMembersCommand({ AccountIds: ['12345'] }))).rejects.toMatchObject(invalid);
  await expect(sh.send(new ListMembersCommand({ MaxResults: 51 }))).rejects.toMatchObject(invalid);
  await expect(sh.send(new ListMembersCommand({ NextToken: 'not-a-token' }))).rejects.toMatchObject(invalid);
  expect(endpoint.maxAccountsPerCall()).toBe(51);
});

test('ListMembers: OnlyAssociated defaults to true; pages of MaxResults followed by the paginator', async () => {
  const m = endpoint.model;
  const statuses = ['Created', 'Invited', 'Enabled', 'Removed', 'Resigned', 'Deleted', 'AccountSuspended'];
  ids(70).forEach((id, i) => m.securityHub.set(id, { accountId: id, email: 'x@example.com', status: statuses[i % statuses.length] }));
  const associated = (await sh.send(new ListMembersCommand({}))).Members!;
  expect(new Set(associated.map((x) => x.MemberStatus))).toEqual(new Set(['Invited', 'Enabled']));
  expect(associated).toHaveLength(20);

  const first = await sh.send(new ListMembersCommand({ OnlyAssociated: false, MaxResults: 50 }));
  expect(first.Members).toHaveLength(50);
  expect(first.NextToken).toBeDefined();
  const all = [];
  for await (const page of paginateListMembers({ client: sh, pageSize: 8 }, { OnlyAssociated: false })) all.push(...page.Members!);
  expect(all.map((x) => x.AccountId)).toEqual(ids(70));
  expect(endpoint.countFor('SecurityHub', 'ListMembers')).toBe(2 + 9);
});

test('statusCase upper returns MemberStatus upper-case, as the service has been seen to', async () => {
  const m = endpoint.model;
  const [a, b] = ids(2);
  m.securityHub.set(a, { accountId: a, email: 'x@example.com', status: 'AccountSuspended' });
  m.securityHub.set(b, { accountId: b, email: 'x@example.com', status: 'Enabled' });
  m.statusCase = 'upper';
  const got = await sh.send(new GetMembersCommand({ AccountIds: [a, b] }));
  expect(got.Members!.map((x) => x.MemberStatus)).toEqual(['ACCOUNT_SUSPENDED', 'ENABLED']);
  // The model keeps the documented case.
  expect(m.state('SecurityHub')).toEqual({ [a]: 'AccountSuspended', [b]: 'Enabled' });
});
