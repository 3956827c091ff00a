/**
 * One account per call (execution/one-account.ts): at most 16 calls in flight, reads included;
 * throttled calls sent again after a jittered, growing pause; a mutating call still throttled at
 * the deadline left to the next invocation; other errors passed through.
 */
import { declared, OneAccountFake, quiet, recording, serviceError, throttlingError } from './one-account-fake';
import { ONE_ACCOUNT_CONCURRENCY } from '../../../src/private/execution/api';
import { isThrottling, OutOfTime, paced, THROTTLE_RETRIES } from '../../../src/private/execution/one-account';
import { accountIds } from '../fakes';

const slow = () => new Promise((resolve) => setTimeout(resolve, 2));

test.each<[string, unknown, boolean]>([
  ['an SDK error marked as throttling', Object.assign(new Error('x'), { $retryable: { throttling: true } }), true],
  ['HTTP 429', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 429 } }), true],
  ['ThrottlingException', Object.assign(new Error('x'), { name: 'ThrottlingException' }), true],
  ['TooManyRequestsException', Object.assign(new Error('x'), { name: 'TooManyRequestsException' }), true],
  ['a validation error', serviceError('ValidationException', 'bad'), false],
  ['a quota refusal (402)', serviceError('ServiceQuotaExceededException', 'over', 402), false],
  ['no error at all', undefined, false],
])('isThrottling: %s', (_name, err, expected) => {
  expect(isThrottling(err)).toBe(expected);
});

test('every call, reads included, holds one of at most 16 slots', async () => {
  const fake = new OneAccountFake('Macie');
  fake.wait = slow;
  const api = paced(fake, { log: quiet });
  await Promise.all([
    ...declared(accountIds(100)).map((m) => api.createMembers([m])),
    ...accountIds(100).map((id) => api.getMembers([id])),
  ]);
  expect(fake.peak).toBe(ONE_ACCOUNT_CONCURRENCY);
  expect(fake.count('CreateMembers')).toBe(100);
});

test('a throttled call waits a jittered, growing pause and goes again, logged; every account ends with one successful call', async () => {
  const fake = new OneAccountFake('Macie');
  fake.throttleNext.set('CreateMembers', 30);
  const log = recording();
  const api = paced(fake, { log, firstDelayMs: 1 });
  await Promise.all(declared(accountIds(40)).map((m) => api.createMembers([m])));
  expect(fake.count('CreateMembers', 'throttled')).toBe(30);
  const successes = fake.calls.filter((c) => c.operation === 'CreateMembers' && c.outcome === 'ok').flatMap((c) => c.accounts);
  expect(successes.sort()).toEqual(accountIds(40));
  expect(log.lines.filter((l) => l.startsWith('CreateMembers throttled: trying again'))).toHaveLength(30);
});

test('a call throttled more than the engine\'s retries fails with the throttling error', async () => {
  const fake = new OneAccountFake('Inspector');
  fake.throttleNext.set('GetMembers', THROTTLE_RETRIES + 1);
  const api = paced(fake, { log: quiet, firstDelayMs: 0 });
  await expect(api.getMembers(['100000000000'])).rejects.toThrow('Rate exceeded');
  expect(fake.count('GetMembers', 'throttled')).toBe(THROTTLE_RETRIES + 1);
});

test('a mutating call whose next try would come after the deadline is not sent: OutOfTime; a read tries again regardless', async () => {
  const fake = new OneAccountFake('Inspector');
  fake.throttleNext.set('CreateMembers', 1);
  fake.throttleNext.set('GetMembers', 1);
  const api = paced(fake, { log: quiet, deadline: Date.now() - 1, firstDelayMs: 1 });
  await expect(api.createMembers(declared(['100000000000']))).rejects.toBeInstanceOf(OutOfTime);
  expect(fake.count('CreateMembers', 'ok')).toBe(0);
  await expect(api.getMembers(['100000000000'])).resolves.toEqual([]);
  expect(fake.count('GetMembers', 'ok')).toBe(1);
});

test('other errors pass through at once; every operation is wrapped, and organizationAdministrator only where the service has it', async () => {
  const fake = new OneAccountFake('Macie');
  fake.errors.set('DeleteMembers:100000000000', serviceError('ConflictException', 'still associated', 409));
  const api = paced(fake, { log: quiet });
  expect(api.organizationAdministrator).toBeUndefined();
  await expect(api.deleteMembers(['100000000000'])).rejects.toThrow('still associated');
  expect(fake.calls).toHaveLength(1);
  await api.createMembers(declared(['100000000001']));
  await expect(api.inviteMembers(['100000000001'])).resolves.toEqual([]);
  await expect(api.disassociateMembers(['100000000001'])).resolves.toEqual([]);
  expect((await api.listMembers()).map((m) => m.status)).toEqual(['Removed']);
  expect({ statuses: api.statuses, perAccount: api.perAccount, asynchronous: api.asynchronous, pageSize: api.pageSize })
    .toEqual({ statuses: fake.statuses, perAccount: fake.perAccount, asynchronous: false, pageSize: 50 });

  const administrator = Object.assign(new OneAccountFake('Macie'), { organizationAdministrator: async () => true });
  await expect(paced(administrator, { log: quiet }).organizationAdministrator!()).resolves.toBe(true);
});

test('the error a throttled call ends with is the last one, whatever its kind', async () => {
  const fake = new OneAccountFake('Macie');
  let calls = 0;
  fake.listMembers = async () => {
    calls++;
    throw calls === 1 ? throttlingError() : serviceError('AccessDeniedException', 'no', 403);
  };
  const api = paced(fake, { log: quiet, firstDelayMs: 0 });
  await expect(api.listMembers()).rejects.toThrow('no');
  expect(calls).toBe(2);
});
