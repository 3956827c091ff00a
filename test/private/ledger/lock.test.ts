/**
 * The target's lock against the local Parameter Store: one holder at a time, renewal, takeover of
 * an expired lock through expiring slots (one taker wins; a taker that dies half-way blocks no one
 * for longer than its slot), and writes whose answers are lost.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { TAKEOVER_TTL_MS, TargetLock } from '../../../src/private/ledger/lock';
import { ParameterStore } from '../../../src/private/ledger/writer';
import { Endpoint, startEndpoint } from '../../endpoint/member-endpoint';

const PREFIX = '/cdk-security-members/guardduty/d1';
let endpoint: Endpoint;
let now: number;

beforeEach(async () => {
  endpoint = await startEndpoint();
  now = 1_000_000;
});
afterEach(() => endpoint.stop());

/** A lock as one run sees it: its own client and clock (the test's). */
function lockOf(): TargetLock {
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 3 });
  return new TargetLock(new ParameterStore(ssm), PREFIX, () => now);
}

const names = () => [...endpoint.ssm.parameters.keys()].sort();

test('one holder at a time; its holder renews it; released, it is free', async () => {
  const [a, b] = [lockOf(), lockOf()];
  expect(await a.acquire('run-1', 60_000)).toEqual({ acquired: true });
  expect(await b.acquire('run-2', 60_000)).toEqual({ acquired: false, holder: 'run-1' });
  expect(await a.acquire('run-1', 60_000)).toEqual({ acquired: true });
  await a.release('run-1');
  expect(names()).toEqual([]);
  expect(await b.acquire('run-2', 60_000)).toEqual({ acquired: true });
});

test('an expired lock is taken over; its dead holder coming back neither holds nor releases it', async () => {
  const [dead, taker] = [lockOf(), lockOf()];
  await dead.acquire('dead', 60_000);
  now += 60_001;
  expect(await taker.acquire('taker', 60_000)).toEqual({ acquired: true });
  expect(await lockOf().acquire('dead', 60_000)).toEqual({ acquired: false, holder: 'taker' });
  await lockOf().release('dead');
  expect(await lockOf().acquire('other', 60_000)).toEqual({ acquired: false, holder: 'taker' });
  await taker.release('taker');
  expect(names()).toEqual([]);
});

test('an expired lock is taken over by exactly one of several takers at once', async () => {
  await lockOf().acquire('dead', 1);
  now += 2;
  const takers = ['a', 'b', 'c', 'd', 'e'].map((owner) => ({ owner, lock: lockOf() }));
  const results = await Promise.all(takers.map(({ owner, lock }) => lock.acquire(owner, 60_000)));
  const winners = takers.filter((_, i) => results[i].acquired);
  expect(winners).toHaveLength(1);
  await winners[0].lock.release(winners[0].owner);
  expect(names()).toEqual([]);
});

test('a taker that died after taking its slot blocks others only until the slot expires; nothing of it is left', async () => {
  await lockOf().acquire('dead', 1);
  now += 2;
  // The dying taker: its slot is written, then it stops before it overwrites the lock.
  const dying = lockOf();
  const store = (dying as unknown as { store: ParameterStore }).store;
  const overwrite = jest.spyOn(store, 'overwrite').mockRejectedValueOnce(new Error('the Lambda died'));
  await expect(dying.acquire('dying', 60_000)).rejects.toThrow('the Lambda died');
  overwrite.mockRestore();
  expect(names().filter((n) => n.includes('/lock-takeover/'))).toHaveLength(1);
  expect(await lockOf().acquire('next', 60_000)).toEqual({ acquired: false, holder: 'another run taking over an expired lock (dying)' });
  now += TAKEOVER_TTL_MS + 1;
  const next = lockOf();
  expect(await next.acquire('next', 60_000)).toEqual({ acquired: true });
  await next.release('next');
  expect(names()).toEqual([]);
});

test('lost answers: a create whose answer was lost is recognized as its own; so is a takeover\'s overwrite', async () => {
  let lose = 1;
  endpoint.loseResponse = ({ operation, input }) => operation === 'PutParameter' && String(input.Name).endsWith('/lock') && lose-- > 0;
  const a = lockOf();
  expect(await a.acquire('run-1', 60_000)).toEqual({ acquired: true });
  expect(JSON.parse(endpoint.ssm.parameters.get(`${PREFIX}/lock`)!.value).owner).toBe('run-1');
  now += 60_001;
  lose = 1;
  const b = lockOf();
  expect(await b.acquire('run-2', 60_000)).toEqual({ acquired: true });
  expect(endpoint.count('PutParameter', 'lost')).toBe(2);
  await b.release('run-2');
  expect(names()).toEqual([]);
});
