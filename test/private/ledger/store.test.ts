/** The ledger's storage against the local SSM endpoint: generations, complete reads, the lock. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { decodeAccounts, encodeAccounts } from '../../../src/private/ledger/codec';
import { ClaimRecord, heldAccounts, InFlightRecord, LoadedClaim, pathSegment, stackNameOf, TargetLedger } from '../../../src/private/ledger/ledger';
import { latestRecord, recordWrites } from '../../../src/private/ledger/store';
import { ParameterStore } from '../../../src/private/ledger/writer';
import { syntheticAccounts } from '../../endpoint/accounts';
import { Endpoint, startEndpoint } from '../../endpoint/member-endpoint';

let endpoint: Endpoint;
let store: ParameterStore;

beforeEach(async () => {
  endpoint = await startEndpoint();
  store = new ParameterStore(new SSMClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 }));
});
afterEach(() => endpoint.stop());

test('a record written in generations: the newest complete one is read, an incomplete newer one is ignored', async () => {
  const base = '/cdk-security-members/guardduty/d1/Stack/Members/claim';
  await store.put(recordWrites(base, { n: 1 }, false, 'g000000001aaaa'));
  await store.put(recordWrites(base, { n: 2 }, false, 'g000000002aaaa'));
  // A write cut short: only part 0 of 2 landed.
  await store.put([{ name: `${base}/g000000003aaaa/0`, value: '2:j{"n":', secure: false }]);
  const read = latestRecord<{ n: number }>(await store.list('/cdk-security-members'), base);
  expect(read?.value).toEqual({ n: 2 });
  expect(read?.generation).toBe('g000000002aaaa');
  expect(read?.names).toHaveLength(3);
});

test('large records stay within the standard tier (4 KB a parameter); the type filter keeps SecureString values out of a read', async () => {
  const ledger = new TargetLedger(store, 'guardduty', 'd1');
  const members = syntheticAccounts(2000).map((a) => [a.accountId, a.email] as const);
  const writes = ledger.declarationWrites('/cdk-security-members/guardduty/d1/S/M', { members });
  await store.put(writes);
  const parameters = [...endpoint.ssm.parameters.values()];
  expect(parameters.every((p) => p.tier === 'Standard' && p.type === 'SecureString' && p.value.length <= 4096)).toBe(true);
  expect(writes.length).toBeLessThan(20);
  expect((await store.list('/cdk-security-members', ['String'])).size).toBe(0);
  expect((await ledger.loadSecrets('/cdk-security-members/guardduty/d1/S/M')).declaration?.value.members).toEqual(members);
});

test('the lock: one holder at a time, renewed by its holder, taken over once expired', async () => {
  const ledger = new TargetLedger(store, 'guardduty', 'd1');
  expect(await ledger.lock('run-1', 60_000)).toEqual({ acquired: true });
  expect(await ledger.lock('run-2', 60_000)).toEqual({ acquired: false, holder: 'run-1' });
  expect(await ledger.lock('run-1', 60_000)).toEqual({ acquired: true });
  await ledger.unlock('run-1');
  expect(await ledger.lock('run-2', -1)).toEqual({ acquired: true });
  // run-2's lock expired (its holder died): run-3 takes it over.
  expect(await ledger.lock('run-3', 60_000)).toEqual({ acquired: true });
  expect(await ledger.lock('run-2', 60_000)).toEqual({ acquired: false, holder: 'run-3' });
  // The dead holder coming back does not release the new holder's lock.
  await ledger.unlock('run-2');
  expect(await ledger.lock('run-4', 60_000)).toEqual({ acquired: false, holder: 'run-3' });
  await ledger.unlock('run-3');
  expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
});

test('an expired lock is taken over by exactly one of several takers at once', async () => {
  const ledger = new TargetLedger(store, 'guardduty', 'd1');
  expect(await ledger.lock('dead', -1)).toEqual({ acquired: true });
  const takers = ['run-a', 'run-b', 'run-c', 'run-d', 'run-e'];
  const results = await Promise.all(takers.map((owner) => ledger.lock(owner, 60_000)));
  const winners = takers.filter((_, i) => results[i].acquired);
  expect(winners).toHaveLength(1);
  // Each loser sees a holder; the winner keeps renewing; its release removes the takeover parameter too.
  expect(results.filter((r) => !r.acquired)).toHaveLength(4);
  expect(await ledger.lock(winners[0], 60_000)).toEqual({ acquired: true });
  await ledger.unlock(winners[0]);
  expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
});

test('paths: stack name from the stack ID, characters SSM does not allow escaped', () => {
  expect(stackNameOf('arn:aws:cloudformation:us-east-1:111111111111:stack/Security-Members/1a2b')).toBe('Security-Members');
  expect(pathSegment('0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
  expect(pathSegment('a:b/c')).toBe('a_3ab_2fc');
  const ledger = new TargetLedger(store, 'detective', '0123456789abcdef0123456789abcdef');
  expect(ledger.claimPath({ stackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/S/1', logicalId: 'MembersA1B2' }))
    .toBe('/cdk-security-members/detective/0123456789abcdef0123456789abcdef/S/MembersA1B2');
});

describe('what a claim holds', () => {
  const record = (accounts: string[]): ClaimRecord => ({
    v: 1,
    stackId: 's',
    logicalId: 'l',
    service: 'GuardDuty',
    target: 'd',
    fingerprint: 'f',
    declaration: { organizationalUnits: [], excludeAccounts: [], invite: true, memberRemoval: 'DELETE', failOnUnprocessed: true, disableEmailNotification: false, removalPolicy: 'DESTROY' },
    accounts: encodeAccounts(accounts),
    fromOrganizations: encodeAccounts([]),
    adopted: encodeAccounts([]),
    updatedAt: '',
  });
  const inflight = (phase: InFlightRecord['phase'], adding: string[], releasing: string[]): InFlightRecord => ({
    v: 1,
    requestId: 'r',
    requestType: 'Update',
    to: 't',
    phase,
    startedAt: 0,
    adding: encodeAccounts(adding),
    releasing: encodeAccounts(releasing),
    before: { touched: encodeAccounts([]), present: {} },
    previousAdopted: '',
    previousFromOrganizations: '',
    progress: { created: 0, invited: 0, removed: 0 },
  });
  const claim = (accounts: string[], flight?: InFlightRecord): LoadedClaim => ({ path: 'p', record: record(accounts), claimGeneration: 'g', inflight: flight, names: [] });

  test.each([
    ['no run in flight: its accounts', claim(['1', '2']), ['000000000001', '000000000002']],
    ['a run in flight: also what it adds and releases (it may roll back)', claim(['1'], inflight('running', ['3'], ['2'])), ['000000000001', '000000000002', '000000000003']],
    ['a failed run: the same, until its rollback', claim(['1'], inflight('failed', [], ['2'])), ['000000000001', '000000000002']],
    ['a finished run: only the accounts', claim(['1'], inflight('done', ['1'], ['2'])), ['000000000001']],
  ])('%s', (_name, c, expected) => {
    expect([...heldAccounts(c)].sort()).toEqual(expected);
    void decodeAccounts;
  });

  test('stale generations: all but the newest of each record', () => {
    const ledger = new TargetLedger(store, 'guardduty', 'd1');
    expect(ledger.staleNames(['/p/claim/g1/0', '/p/claim/g2/0', '/p/claim/g2/1', '/p/inflight/g3/0', '/p/inflight/g1/0', '/p/lock']).sort())
      .toEqual(['/p/claim/g1/0', '/p/inflight/g1/0']);
  });
});
