import { createHash } from 'crypto';
import { deflateSync } from 'zlib';
import { App, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { GuardDutyMembers } from '../../src';
import { encodeMemberProperties } from '../../src/private/declared-members';
import { memberEntries, MEMBERS_BUDGET_BYTES } from '../../src/private/properties';
import { syntheticAccounts } from '../endpoint/accounts';
import { synthesizeMembers } from '../endpoint/synthesized';

const entriesOf = (count: number, seed = 1) => syntheticAccounts(count, seed).map((a) => `${a.accountId}:${a.email}`);
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('member encoding', () => {
  test('readable list while it fits the budget, so cdk diff shows each account', () => {
    const entries = entriesOf(2000);
    expect(bytes(entries)).toBeLessThanOrEqual(MEMBERS_BUDGET_BYTES);
    expect(encodeMemberProperties(entries)).toEqual({ Members: entries });
  });

  test('compressed above the budget, with a count; decodes to the same entries', () => {
    const entries = entriesOf(5000);
    expect(bytes(entries)).toBeGreaterThan(MEMBERS_BUDGET_BYTES);
    const encoded = encodeMemberProperties(entries);
    expect(encoded.Members).toBeUndefined();
    expect(encoded.MemberCount).toBe('5000');
    expect(bytes(encoded)).toBeLessThan(MEMBERS_BUDGET_BYTES);
    expect(memberEntries(encoded)).toEqual(entries);
  });

  test('compression is byte-stable (users snapshot it): a changed compressor fails here', () => {
    const encoded = encodeMemberProperties(entriesOf(5000));
    const digest = createHash('sha256').update(encoded.MembersCompressed!).digest('hex');
    expect({ length: encoded.MembersCompressed!.length, digest }).toMatchSnapshot();
  });

  test('any zlib stream decodes, whatever produced it', () => {
    const entries = ['111111111111:a@example.com', '222222222222:b@example.com'];
    const MembersCompressed = deflateSync(entries.join('\n')).toString('base64');
    expect(memberEntries({ MembersCompressed, MemberCount: '2' })).toEqual(entries);
    expect(memberEntries({ MembersCompressed: deflateSync('').toString('base64'), MemberCount: 0 })).toEqual([]);
  });

  test('a damaged or truncated compressed list is refused, not half read', () => {
    expect(() => memberEntries({ MembersCompressed: 'bm90IHpsaWI=' })).toThrow(/MembersCompressed does not decompress/);
    const two = deflateSync('111111111111:a@example.com\n222222222222:b@example.com').toString('base64');
    expect(() => memberEntries({ MembersCompressed: two, MemberCount: '3' })).toThrow('MembersCompressed holds 2 entries, but MemberCount is 3');
  });

  test('unresolved tokens keep the readable form at any size', () => {
    const entries = [...entriesOf(5000), `${Token.asString({ Ref: 'AccountParam' })}:x@example.com`];
    expect(encodeMemberProperties(entries)).toEqual({ Members: entries });
  });
});

describe('5,000 GuardDuty members in one construct', () => {
  const accounts = syntheticAccounts(5500);

  test('template under 1 MB; an update request (old and new properties) under 256 KiB', () => {
    const before = synthesizeMembers('GuardDuty', accounts.slice(0, 4500), 'abc123');
    const after = synthesizeMembers('GuardDuty', accounts.slice(0, 5000), 'abc123');
    expect(after.templateBytes).toBeLessThan(1024 * 1024);
    const request = { ResourceProperties: after.properties, OldResourceProperties: before.properties };
    expect(bytes(request)).toBeLessThan(256 * 1024 - 4096); // room for the event's own fields
    expect(after.properties).toMatchObject({ MemberCount: '5000' });
    expect(memberEntries(after.properties)).toHaveLength(5000);
  });

  test('a list too large even compressed fails synth, naming the property and the way out', () => {
    const stack = new Stack(new App(), 'TooLarge');
    // Random local parts hardly compress: 6,000 of them exceed the budget.
    const incompressible = Array.from({ length: 6000 }, (_, i) => ({
      accountId: String(100000000000 + i * 7919),
      email: `${createHash('sha256').update(String(i)).digest('hex').slice(0, 40)}@example.com`,
    }));
    new GuardDutyMembers(stack, 'Members', { members: incompressible });
    expect(() => Template.fromStack(stack)).toThrow(/Members\] members: 6000 members take \d+ KiB even compressed.*split the accounts across several constructs on the same detector/s);
  });

  const split = (constructs: number, perConstruct: number) => {
    const app = new App();
    const stack = new Stack(app, 'Split', { env: { account: '999999999999', region: 'us-east-1' } });
    // Park-Miller (exact in doubles) spreads more distinct IDs than syntheticAccounts' generator holds.
    let state = 7;
    const ids = new Set<string>();
    while (ids.size < constructs * perConstruct) {
      state = (state * 48271) % 2147483647;
      ids.add(String(100000000000 + Math.floor((state / 2147483647) * 899999999998)));
    }
    const declared = [...ids].map((accountId) => ({ accountId, email: `aws+${accountId}@example.com` }));
    for (let c = 0; c < constructs; c++) {
      new GuardDutyMembers(stack, `Members${c}`, { members: declared.slice(c * perConstruct, (c + 1) * perConstruct) });
    }
    return { app, stack };
  };

  test('the other constructs\' accounts (Siblings) count in each request\'s budget: 2 × 5,000 fit, an update stays within 256 KiB', () => {
    const { app } = split(2, 5000);
    const resources = Object.values(app.synth().getStackByName('Split').template.Resources as Record<string, { Type: string; Properties: object }>)
      .filter((r) => r.Type === 'Custom::GuardDutyMembers');
    expect(resources).toHaveLength(2);
    for (const resource of resources) {
      expect(bytes(resource.Properties)).toBeLessThan(MEMBERS_BUDGET_BYTES + 1024);
      expect(2 * bytes(resource.Properties)).toBeLessThan(256 * 1024 - 4096);
    }
  });

  test('5 × 5,000 in one stack fail synth: each request would carry the other 20,000 accounts too', () => {
    const { stack } = split(5, 5000);
    expect(() => Template.fromStack(stack)).toThrow(
      /Split\/Members0\] members: 5000 members \(\d+ KiB\) and the account IDs of the stack's other GuardDuty constructs \(\d+ KiB.*put some of the constructs in another stack/s);
  });
});
