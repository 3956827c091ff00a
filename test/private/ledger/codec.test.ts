import { decodeAccounts, encodeAccounts, fingerprint, joinRecord, newGeneration, PARAMETER_CHARS, splitRecord } from '../../../src/private/ledger/codec';
import { syntheticAccounts } from '../../endpoint/accounts';

describe('account sets', () => {
  test('round trip: sorted, without duplicates, leading zeros kept', () => {
    const ids = ['999999999998', '000000000042', '123456789012', '000000000042'];
    expect(decodeAccounts(encodeAccounts(ids))).toEqual(['000000000042', '123456789012', '999999999998']);
    expect(decodeAccounts(encodeAccounts([]))).toEqual([]);
    expect(decodeAccounts(undefined)).toEqual([]);
  });

  test('about 4 bytes an account for thousands of accounts spread over the ID range (13 in a comma-joined list)', () => {
    const ids = syntheticAccounts(5000).map((a) => a.accountId);
    const encoded = encodeAccounts(ids);
    expect(decodeAccounts(encoded)).toEqual(ids);
    expect(Buffer.from(encoded, 'base64').length / ids.length).toBeLessThan(4.5);
  });
});

describe('records in parameters', () => {
  test('a small record is one readable part', () => {
    const parts = splitRecord('{"a":1}');
    expect(parts).toEqual(['1:j{"a":1}']);
    expect(joinRecord(parts)).toBe('{"a":1}');
  });

  test('a large record is compressed and split into parts of at most 4,096 characters', () => {
    const json = JSON.stringify({ members: syntheticAccounts(3000).map((a) => [a.accountId, a.email]) });
    const parts = splitRecord(json);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= PARAMETER_CHARS)).toBe(true);
    expect(parts.every((p) => p.startsWith(`${parts.length}:`))).toBe(true);
    expect(joinRecord(parts)).toBe(json);
  });

  test('a missing or foreign part makes the record unreadable (a write in progress), never a wrong value', () => {
    const parts = splitRecord(JSON.stringify({ members: syntheticAccounts(3000).map((a) => a.email) }));
    expect(joinRecord([parts[0], undefined, ...parts.slice(2)])).toBeUndefined();
    expect(joinRecord(parts.slice(0, -1))).toBeUndefined();
    expect(joinRecord([])).toBeUndefined();
    expect(joinRecord(['2:j{}', '2:'])).toBe('{}');
    expect(joinRecord(['1:x'])).toBeUndefined();
    expect(joinRecord(['1:znot-zlib'])).toBeUndefined();
  });

  test('generations sort by write time', () => {
    const older = newGeneration(1_700_000_000_000);
    const newer = newGeneration(1_700_000_000_001);
    expect(newer > older).toBe(true);
    expect(newGeneration()).toMatch(/^g[0-9a-z]{9}[0-9a-f]{4}$/);
  });

  test('fingerprints ignore the ServiceToken and key order, and see every other change', () => {
    expect(fingerprint({ ServiceToken: 'a', B: ['1'], A: 1 })).toBe(fingerprint({ A: 1, B: ['1'], ServiceToken: 'b' }));
    expect(fingerprint({ A: 1, B: ['1'] })).not.toBe(fingerprint({ A: 1, B: ['2'] }));
    expect(fingerprint({ A: 1, C: undefined })).toBe(fingerprint({ A: 1 }));
    expect(fingerprint(undefined)).toBe(fingerprint({}));
  });
});
