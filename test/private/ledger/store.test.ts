/** The ledger's storage against the local SSM endpoint: generations, complete reads, paths. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { pathSegment, recordRef, stackNameOf, TargetLedger } from '../../../src/private/ledger/ledger';
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
