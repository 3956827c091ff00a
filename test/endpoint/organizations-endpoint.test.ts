/** AWS Organizations through the real SDK client: AWS JSON 1.1, read-only calls, short pages and errors. */
import {
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
} from '@aws-sdk/client-organizations';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let orgs: OrganizationsClient;
const ids = (n: number, start = 100000000000) => Array.from({ length: n }, (_, i) => String(start + i));

beforeEach(async () => {
  endpoint = await startEndpoint({ seed: 3 });
  orgs = new OrganizationsClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
});
afterEach(async () => {
  orgs.destroy();
  await endpoint.stop();
});

test('root, nested OUs and accounts; the administrator and management accounts are in the organization', async () => {
  const o = endpoint.organizations;
  const workloads = o.addOrganizationalUnit('Workloads');
  const prod = o.addOrganizationalUnit('Prod', workloads);
  expect(workloads).toMatch(/^ou-a1b2-[a-z0-9]{8}$/);
  expect(prod).toMatch(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/);
  o.addAccount('100000000001', { parentId: prod, email: 'prod@example.com', name: 'Prod' });

  const roots = await orgs.send(new ListRootsCommand({}));
  expect(roots.Roots).toEqual([expect.objectContaining({ Id: 'r-a1b2', Arn: 'arn:aws:organizations::555555555555:root/o-a1b2c3d4e5/r-a1b2', Name: 'Root' })]);
  const rootAccounts = await orgs.send(new ListChildrenCommand({ ParentId: 'r-a1b2', ChildType: 'ACCOUNT' }));
  expect(rootAccounts.Children).toEqual([{ Id: '555555555555', Type: 'ACCOUNT' }, { Id: '999999999999', Type: 'ACCOUNT' }]);
  expect((await orgs.send(new ListChildrenCommand({ ParentId: 'r-a1b2', ChildType: 'ORGANIZATIONAL_UNIT' }))).Children).toEqual([{ Id: workloads, Type: 'ORGANIZATIONAL_UNIT' }]);
  const units = await orgs.send(new ListOrganizationalUnitsForParentCommand({ ParentId: workloads }));
  expect(units.OrganizationalUnits).toEqual([{ Id: prod, Arn: `arn:aws:organizations::555555555555:ou/o-a1b2c3d4e5/${prod}`, Name: 'Prod', Path: `o-a1b2c3d4e5/r-a1b2/${workloads}/${prod}/` }]);

  const accounts = await orgs.send(new ListAccountsForParentCommand({ ParentId: prod }));
  expect(accounts.Accounts).toEqual([expect.objectContaining({
    Id: '100000000001',
    Email: 'prod@example.com',
    Name: 'Prod',
    Status: 'ACTIVE',
    State: 'ACTIVE',
    JoinedMethod: 'INVITED',
    Arn: 'arn:aws:organizations::555555555555:account/o-a1b2c3d4e5/100000000001',
  })]);
  expect(accounts.Accounts![0].JoinedTimestamp).toEqual(new Date('2026-01-01T00:00:00Z'));
  expect((await orgs.send(new ListAccountsCommand({}))).Accounts!.map((a) => a.Id)).toEqual(['100000000001', '555555555555', '999999999999']);
  expect((await orgs.send(new DescribeAccountCommand({ AccountId: '999999999999' }))).Account).toMatchObject({ Id: '999999999999', Name: 'Security' });
  expect((await orgs.send(new DescribeOrganizationCommand({}))).Organization).toMatchObject({ Id: 'o-a1b2c3d4e5', MasterAccountId: '555555555555', FeatureSet: 'ALL' });
});

test('helpers move accounts, change their state and remove them; Status shows CLOSED as SUSPENDED', async () => {
  const o = endpoint.organizations;
  const ou = o.addOrganizationalUnit('Sandbox');
  const [a, b, c] = ids(3);
  [a, b, c].forEach((id) => o.addAccount(id, { parentId: ou }));
  o.setState(a, 'SUSPENDED');
  o.setState(b, 'CLOSED');
  o.moveAccount(c, o.rootId);
  const listed = (await orgs.send(new ListAccountsForParentCommand({ ParentId: ou }))).Accounts!;
  expect(listed.map((x) => [x.Id, x.Status, x.State])).toEqual([[a, 'SUSPENDED', 'SUSPENDED'], [b, 'SUSPENDED', 'CLOSED']]);
  o.setState(a, 'PENDING_CLOSURE');
  expect((await orgs.send(new DescribeAccountCommand({ AccountId: a }))).Account).toMatchObject({ Status: 'PENDING_CLOSURE', State: 'PENDING_CLOSURE' });
  o.removeAccount(c);
  await expect(orgs.send(new DescribeAccountCommand({ AccountId: c }))).rejects.toMatchObject({ name: 'AccountNotFoundException', $metadata: { httpStatusCode: 400 } });
});

test('short pages: fewer than MaxResults, even empty, with a NextToken; the paginators reach the end', async () => {
  const o = endpoint.organizations;
  const ou = o.addOrganizationalUnit('Big');
  const accounts = ids(95);
  accounts.forEach((id) => o.addAccount(id, { parentId: ou }));
  o.shortPages = true;

  const pages: number[] = [];
  const seen: string[] = [];
  for await (const page of paginateListAccountsForParent({ client: orgs }, { ParentId: ou })) {
    pages.push(page.Accounts!.length);
    seen.push(...page.Accounts!.map((a) => a.Id!));
  }
  expect(seen).toEqual(accounts);
  expect(pages.some((n) => n < 20)).toBe(true);
  expect(pages.slice(0, -1).some((n) => n === 0)).toBe(true);
  expect(Math.max(...pages)).toBeLessThanOrEqual(20);

  const children: string[] = [];
  for await (const page of paginateListChildren({ client: orgs, pageSize: 7 }, { ParentId: ou, ChildType: 'ACCOUNT' })) children.push(...page.Children!.map((x) => x.Id!));
  expect(children).toEqual(accounts);
  const all: string[] = [];
  for await (const page of paginateListAccounts({ client: orgs }, {})) all.push(...page.Accounts!.map((x) => x.Id!));
  expect(all).toHaveLength(97);

  // The same seed gives the same pages.
  const again: number[] = [];
  for await (const page of paginateListAccountsForParent({ client: orgs }, { ParentId: ou })) again.push(page.Accounts!.length);
  expect(again).toEqual(pages);
});

test('errors: unreadable parents, unknown parents, patterns and MaxResults 1 to 20', async () => {
  const o = endpoint.organizations;
  const hidden = o.addOrganizationalUnit('Hidden');
  o.unreadable.add(hidden);
  await expect(orgs.send(new ListAccountsForParentCommand({ ParentId: hidden }))).rejects.toMatchObject({
    name: 'AccessDeniedException', message: "You don't have permissions to access this resource.", $metadata: { httpStatusCode: 400 },
  });
  await expect(orgs.send(new ListChildrenCommand({ ParentId: hidden, ChildType: 'ACCOUNT' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  await expect(orgs.send(new ListChildrenCommand({ ParentId: 'ou-a1b2-zzzzzzzz', ChildType: 'ACCOUNT' }))).rejects.toMatchObject({ name: 'ParentNotFoundException' });
  await expect(orgs.send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'ou-nope' }))).rejects.toMatchObject({ name: 'InvalidInputException', Reason: 'INVALID_PATTERN' });
  await expect(orgs.send(new ListAccountsForParentCommand({ ParentId: 'r-a1b2', MaxResults: 21 }))).rejects.toMatchObject({ name: 'InvalidInputException', Reason: 'MAX_VALUE_EXCEEDED' });
  await expect(orgs.send(new ListAccountsCommand({ MaxResults: 0 }))).rejects.toMatchObject({ name: 'InvalidInputException', Reason: 'MIN_VALUE_EXCEEDED' });
  await expect(orgs.send(new ListAccountsCommand({ NextToken: 'x' }))).rejects.toMatchObject({ name: 'InvalidInputException', Reason: 'INVALID_NEXT_TOKEN' });
  await expect(orgs.send(new ListChildrenCommand({ ParentId: 'r-a1b2', ChildType: 'POLICY' as 'ACCOUNT' }))).rejects.toMatchObject({ name: 'InvalidInputException', Reason: 'INVALID_ENUM' });
  expect(endpoint.countFor('Organizations', 'ListAccountsForParent', 'AccessDeniedException')).toBe(1);
});
