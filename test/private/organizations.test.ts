import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { organizationEmails, ORGANIZATIONS_CONCURRENCY, OrganizationReadError, resolveOrganizationAccounts } from '../../src/private/organizations';
import { clientConfig } from '../../src/private/reconcile.lambda';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

let endpoint: Endpoint;
let client: OrganizationsClient;

beforeEach(async () => {
  endpoint = await startEndpoint();
  client = new OrganizationsClient({ ...clientConfig(), region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterEach(async () => {
  client.destroy();
  await endpoint.stop();
});

/** A tree: Workloads › Prod (2 accounts, one suspended), Dev › Deep (1 closed, 1 active); Sandbox (1). */
function tree() {
  const org = endpoint.organizations;
  const workloads = org.addOrganizationalUnit('Workloads');
  const prod = org.addOrganizationalUnit('Prod', workloads);
  const dev = org.addOrganizationalUnit('Dev', workloads);
  const deep = org.addOrganizationalUnit('Deep', dev);
  const sandbox = org.addOrganizationalUnit('Sandbox');
  org.addAccount('200000000001', { parentId: prod, email: 'prod1@example.com' });
  org.addAccount('200000000002', { parentId: prod, state: 'SUSPENDED' });
  org.addAccount('200000000003', { parentId: deep, state: 'CLOSED' });
  org.addAccount('200000000004', { parentId: deep, email: 'deep@example.com' });
  org.addAccount('200000000005', { parentId: sandbox });
  org.moveAccount('999999999999', prod);
  return { workloads, prod, dev, deep, sandbox };
}

test('every ACTIVE account anywhere below an OU, with its email; suspended and closed ones reported apart; the administrator and exclusions never', async () => {
  const { workloads } = tree();
  const resolved = await resolveOrganizationAccounts(client, [workloads], { adminAccount: '999999999999' });
  expect(Object.fromEntries(resolved.accounts)).toEqual({ 200000000001: 'prod1@example.com', 200000000004: 'deep@example.com' });
  expect(resolved.inactive).toEqual(['200000000002', '200000000003']);
  const excluded = await resolveOrganizationAccounts(client, [workloads], { exclude: ['200000000004'], adminAccount: '999999999999' });
  expect([...excluded.accounts.keys()]).toEqual(['200000000001']);
});

test('overlapping OUs are listed once; each OU costs one page of accounts and one of children when both fit', async () => {
  const { workloads, prod, deep } = tree();
  endpoint.calls.length = 0;
  const resolved = await resolveOrganizationAccounts(client, [workloads, prod, deep]);
  expect([...resolved.accounts.keys()].sort()).toEqual(['200000000001', '200000000004', '999999999999']);
  // Workloads, Prod, Dev, Deep: 4 OUs, 2 listings each.
  expect(endpoint.countFor('Organizations', 'ListAccountsForParent')).toBe(4);
  expect(endpoint.countFor('Organizations', 'ListChildren')).toBe(4);
});

test('a root is the whole organization: ListAccounts alone, pages of 20', async () => {
  for (let i = 0; i < 45; i++) endpoint.organizations.addAccount(String(210000000000 + i));
  endpoint.calls.length = 0;
  const resolved = await resolveOrganizationAccounts(client, [endpoint.organizations.rootId, 'ou-a1b2-ignored0'], { adminAccount: '999999999999' });
  // 45 + the management account (the administrator is skipped).
  expect(resolved.accounts.size).toBe(46);
  expect(endpoint.calls.map((c) => c.operation)).toEqual(['ListAccounts', 'ListAccounts', 'ListAccounts']);
});

test('short and empty pages followed by a NextToken are read to the end', async () => {
  const org = endpoint.organizations;
  const big = org.addOrganizationalUnit('Big');
  for (let i = 0; i < 30; i++) org.addOrganizationalUnit(`Child${i}`, big);
  for (let i = 0; i < 100; i++) org.addAccount(String(220000000000 + i), { parentId: big });
  org.shortPages = true;
  const resolved = await resolveOrganizationAccounts(client, [big]);
  expect(resolved.accounts.size).toBe(100);
  // Every child OU was visited too.
  expect(endpoint.countFor('Organizations', 'ListAccountsForParent')).toBeGreaterThanOrEqual(31);
});

test('listings run a few at a time, and throttling is retried', async () => {
  const org = endpoint.organizations;
  const top = org.addOrganizationalUnit('Top');
  for (let i = 0; i < 20; i++) {
    const unit = org.addOrganizationalUnit(`Unit${i}`, top);
    org.addAccount(String(230000000000 + i), { parentId: unit });
  }
  endpoint.faults = { latencyMs: 20, rates: { Organizations: { perSecond: 50, burst: 5 } } };
  const resolved = await resolveOrganizationAccounts(client, [top]);
  expect(resolved.accounts.size).toBe(20);
  expect(endpoint.peakConcurrency).toBeLessThanOrEqual(ORGANIZATIONS_CONCURRENCY);
});

test('an OU that cannot be read fails with the OU (and the declared one above it), the operation and Organizations\' answer', async () => {
  const { workloads, deep } = tree();
  endpoint.organizations.unreadable.add(deep);
  const failure = resolveOrganizationAccounts(client, [workloads]);
  await expect(failure).rejects.toBeInstanceOf(OrganizationReadError);
  await expect(failure).rejects.toThrow(new RegExp(`^organizationalUnits: ${deep} \\(below ${workloads}\\) could not be read: (ListAccountsForParent|ListChildren) answered AccessDeniedException: You don't have permissions`));
  await expect(resolveOrganizationAccounts(client, ['ou-a1b2-missing0'])).rejects.toThrow(/organizationalUnits: ou-a1b2-missing0 could not be read: \w+ answered ParentNotFoundException/);
});

test('the email of every account of the organization, whatever its state or place (ListAccounts, pages of 20)', async () => {
  tree();
  for (let i = 0; i < 25; i++) endpoint.organizations.addAccount(String(300000000000 + i), { parentId: endpoint.organizations.rootId, email: `a${i}@example.com` });
  const emails = await organizationEmails(client);
  expect(emails.get('200000000001')).toBe('prod1@example.com');
  expect(emails.get('300000000024')).toBe('a24@example.com');
  expect(emails.has('200000000002')).toBe(true);
  expect(endpoint.count('ListAccounts')).toBeGreaterThanOrEqual(2);
});
