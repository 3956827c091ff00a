/** The ledger's storage against the local SSM endpoint: generations, complete reads, paths. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { encodeAccounts } from '../../../src/private/ledger/codec';
import { committedClaims, pathSegment, recordRef, stackNameOf, TargetLedger } from '../../../src/private/ledger/ledger';
import { ClaimRecord, JournalRecord } from '../../../src/private/ledger/records';
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
  expect((await ledger.loadDeclaration(recordRef(writes)))?.members).toEqual(members);
});

test('paths: stack name from the stack ID, characters SSM does not allow escaped', () => {
  expect(stackNameOf('arn:aws:cloudformation:us-east-1:111111111111:stack/Security-Members/1a2b')).toBe('Security-Members');
  expect(pathSegment('0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
  expect(pathSegment('a:b/c')).toBe('a_3ab_2fc');
  const ledger = new TargetLedger(store, 'detective', '0123456789abcdef0123456789abcdef');
  expect(ledger.claimPath({ stackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/S/1', logicalId: 'MembersA1B2' }))
    .toBe('/cdk-security-members/detective/0123456789abcdef0123456789abcdef/S/MembersA1B2');
});

describe('a run\'s journal and claim, written in one round', () => {
  const path = '/cdk-security-members/guardduty/d1/Stack/Members';
  const claim = (accounts: string[], journal?: string) => ({
    v: 3,
    stackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/Stack/1',
    logicalId: 'Members',
    service: 'GuardDuty',
    target: 'd1',
    fingerprint: 'f',
    declaration: {} as never,
    accounts: encodeAccounts(accounts),
    adopted: '',
    journal,
    updatedAt: '',
  }) as ClaimRecord;
  const journal = (claimGeneration: string, previousClaim?: string) => ({
    v: 3,
    requestId: 'r',
    kind: 'Update',
    stackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/Stack/1',
    logicalId: 'Members',
    to: 'f',
    startedAt: 0,
    claimGeneration,
    previousClaim,
    options: {} as never,
    touched: '',
    prior: {},
    unmanaged: '',
    protected: '',
  }) as JournalRecord;

  test('a claim generation counts once the journal written with it is complete: a round cut short leaves the claim as it was', async () => {
    const ledger = new TargetLedger(store, 'guardduty', 'd1');
    await store.put([...ledger.claimWrites(path, claim(['111111111111'], 'g000000001jjjj'), 'g000000001cccc'),
      ...recordWrites(`${path}/journal`, journal('g000000001cccc'), false, 'g000000001jjjj')]);
    // The next run's claim landed, its journal did not.
    await store.put(ledger.claimWrites(path, claim(['222222222222'], 'g000000002jjjj'), 'g000000002cccc'));
    let [own] = (await ledger.load()).claims;
    expect(own.generation).toBe('g000000001cccc');
    expect([...own.generations.keys()]).toEqual(['g000000001cccc']);
    // The next run's journal lands and its claim does not: the claim before it (which the journal
    // names, its own journal cleaned up since) counts, never the one of the round cut short.
    await store.put(recordWrites(`${path}/journal`, journal('g000000003cccc', 'g000000001cccc'), false, 'g000000003jjjj'));
    await store.delete(['g000000001jjjj'].map((g) => `${path}/journal/${g}/0`));
    [own] = (await ledger.load()).claims;
    expect(own.generation).toBe('g000000001cccc');
    await store.put(ledger.claimWrites(path, claim(['333333333333'], 'g000000003jjjj'), 'g000000003cccc'));
    [own] = (await ledger.load()).claims;
    expect([...own.generations.keys()].sort()).toEqual(['g000000001cccc', 'g000000003cccc']);
    // A run that took over an unfinished one names that run's claim: it counts until the new claim lands.
    const takeover = { ...journal('g000000004cccc', 'g000000001cccc'), takenOverClaim: 'g000000003cccc' };
    await store.put(recordWrites(`${path}/journal`, takeover, false, 'g000000004jjjj'));
    [own] = (await ledger.load()).claims;
    expect(own.generation).toBe('g000000003cccc');
    // A generation written without a journal (an undo's, an earlier version's) always counts.
    expect(committedClaims(new Map([['g1', claim([])]]), undefined).size).toBe(1);
    expect(committedClaims(new Map([['g1', claim([], 'g000000001jjjj')]]), undefined).size).toBe(0);
  });

  test('a declaration record is read once per reader: the journal, a sync and the unrecorded emails share the read', async () => {
    const ledger = new TargetLedger(store, 'guardduty', 'd1');
    const declaration = ledger.declarationWrites(path, { members: [['111111111111', 'a@example.com']] });
    const missing = { base: `${path}/declaration`, generation: 'g000000009zzzz', parts: 1 };
    await store.put(declaration);
    endpoint.calls.length = 0;
    const [first, second] = await Promise.all([ledger.loadDeclaration(recordRef(declaration)), ledger.loadDeclaration(recordRef(declaration))]);
    expect(await ledger.loadDeclaration(recordRef(declaration))).toEqual(first);
    expect(second).toEqual({ members: [['111111111111', 'a@example.com']] });
    expect(endpoint.count('GetParametersByPath')).toBe(1);
    // A record not there (yet) is read again when asked again.
    expect(await ledger.loadDeclaration(missing)).toBeUndefined();
    expect(await ledger.loadDeclaration(missing)).toBeUndefined();
    expect(endpoint.count('GetParametersByPath')).toBe(3);
  });

  test('a journal reads the emails and the invitation message its declaration record holds; only the others are in its secret', async () => {
    const ledger = new TargetLedger(store, 'guardduty', 'd1');
    const declaration = ledger.declarationWrites(path, { members: [['111111111111', 'a@example.com'], ['222222222222', 'b@example.com']], message: 'Welcome' });
    const secret = recordWrites(`${path}/journal-secret`, { create: { 333333333333: 'c@example.com' }, prior: { 444444444444: 'd@example.com' } }, true);
    await store.put([...declaration, ...secret]);
    const record = { ...journal('g1'), declaration: recordRef(declaration), createDeclared: encodeAccounts(['111111111111']), secret: recordRef(secret) };
    expect(await ledger.loadJournalSecret(record)).toEqual({
      create: { 111111111111: 'a@example.com', 333333333333: 'c@example.com' },
      prior: { 444444444444: 'd@example.com' },
      message: 'Welcome',
    });
    // The prior emails the claim's declaration record before the run holds: read from it.
    const before = ledger.declarationWrites(path, { members: [['444444444444', 'old-d@example.com'], ['555555555555', 'e@example.com']] });
    await store.put(before);
    const withPrior = { ...record, priorDeclaration: recordRef(before), priorDeclared: encodeAccounts(['555555555555']) };
    expect((await ledger.loadJournalSecret(withPrior)).prior).toEqual({ 444444444444: 'd@example.com', 555555555555: 'e@example.com' });
    // A journal of an earlier version: its secret alone.
    expect(await ledger.loadJournalSecret({ ...journal('g1'), secret: recordRef(secret) })).toEqual({ create: { 333333333333: 'c@example.com' }, prior: { 444444444444: 'd@example.com' } });
  });
});
