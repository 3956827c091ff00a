/**
 * Reading many accounts the cheaper way and awaiting asynchronous changes (execution/awaiting.ts):
 * list or read one by one, whichever takes fewer calls; read again until each account is in a
 * final state, at growing intervals, within the deadline; a failed read leaves them pending.
 */
import { declared, OneAccountFake, quiet, recording, serviceError } from './one-account-fake';
import { ONE_ACCOUNT_CONCURRENCY } from '../../../src/private/execution/api';
import { awaitFinal, readCheaply } from '../../../src/private/execution/awaiting';
import { LiveMember } from '../../../src/private/planner';
import { accountIds } from '../fakes';

const enabled = (m: LiveMember | undefined) => m?.status === 'ENABLED';

test('lists every member when that takes fewer calls than reading the accounts one by one', async () => {
  const fake = new OneAccountFake('Inspector');
  accountIds(60).forEach((accountId) => fake.members.set(accountId, { accountId, status: 'ENABLED' }));
  const read = await readCheaply(fake, accountIds(10), 60);
  expect([...read.keys()]).toEqual(accountIds(10));
  expect(fake.calls.map((c) => c.operation)).toEqual(['ListMembers']);
});

test('reads the accounts, at most 16 at a time, when listing would take more calls or the count is unknown', async () => {
  const fake = new OneAccountFake('Inspector');
  fake.wait = () => new Promise((resolve) => setTimeout(resolve, 2));
  accountIds(40).forEach((accountId) => fake.members.set(accountId, { accountId, status: 'ENABLED' }));
  const read = await readCheaply(fake, [...accountIds(40), '999999999999', ...accountIds(3)]);
  expect(read.size).toBe(40);
  expect(fake.count('GetMembers')).toBe(41);
  expect(fake.peak).toBe(ONE_ACCOUNT_CONCURRENCY);
  expect(fake.count('ListMembers')).toBe(0);
  // 3 accounts of a 10,000-member administrator: 3 reads rather than 200 pages.
  fake.calls.length = 0;
  await readCheaply(fake, accountIds(3), 10_000);
  expect(fake.calls.map((c) => c.operation)).toEqual(['GetMembers', 'GetMembers', 'GetMembers']);
});

test('awaits until every account is final, reading only those still under way, the pause growing', async () => {
  const fake = new OneAccountFake('Inspector');
  fake.readsUntilSettled = 2;
  await fake.createMembers(declared(accountIds(3)));
  const log = recording();
  const outcome = await awaitFinal(fake, accountIds(3), enabled, { log, operation: 'AssociateMember' });
  expect(outcome.pending).toEqual([]);
  expect([...outcome.final.values()].map((m) => m?.status)).toEqual(['ENABLED', 'ENABLED', 'ENABLED']);
  // Three rounds of three reads: under way, under way, done.
  expect(fake.count('GetMembers')).toBe(9);
  const pauses = log.lines.filter((l) => l.startsWith('AssociateMember: under way, reading again')).map((l) => JSON.parse(l.slice(l.indexOf('{'))).delayMs);
  expect(pauses).toEqual([500, 1000]);
});

test('at the deadline the accounts still under way are pending; the first round reads even past it', async () => {
  const fake = new OneAccountFake('Inspector');
  fake.readsUntilSettled = 5;
  await fake.createMembers(declared(accountIds(2)));
  const outcome = await awaitFinal(fake, accountIds(2), enabled, { log: quiet, operation: 'AssociateMember', deadline: Date.now() - 1 });
  expect(outcome).toEqual({ final: new Map(), pending: accountIds(2) });
  expect(fake.count('GetMembers')).toBe(2);
});

test('a failed read leaves the accounts pending, with the error, and says so in the log', async () => {
  const fake = new OneAccountFake('Inspector');
  fake.errors.set('GetMembers:100000000000', serviceError('AccessDeniedException', 'not allowed', 403));
  const log = recording();
  const outcome = await awaitFinal(fake, accountIds(1), enabled, { log, operation: 'AssociateMember' });
  expect(outcome).toEqual({ final: new Map(), pending: accountIds(1), error: 'AccessDeniedException: not allowed' });
  expect(log.lines[0]).toMatch(/^AssociateMember: reading the accounts under way failed/);
});

test('an account gone meanwhile is final when the caller says so (a removal awaited)', async () => {
  const fake = new OneAccountFake('Inspector');
  const outcome = await awaitFinal(fake, ['100000000009'], (m) => m === undefined, { log: quiet, operation: 'DisassociateMember' });
  expect(outcome.final).toEqual(new Map([['100000000009', undefined]]));
});
