/**
 * Synthetic member accounts for scale tests and the benchmark. Emails follow the patterns real
 * organizations use (`aws+<team>-<env>-<n>@<domain>`), because the compact encoding's size
 * depends on them; the IDs are spread over the whole 12-digit range.
 */
import { MemberAccount } from '../../src';

const TEAMS = ['payments', 'data', 'ml', 'web', 'core', 'ledger', 'search', 'ads', 'risk', 'audit', 'logs', 'edge', 'api', 'batch', 'stream'];
const ENVIRONMENTS = ['prod', 'staging', 'dev', 'sandbox', 'test'];
const DOMAINS = ['example.com', 'corp.example.com', 'acme-group.example'];

/** `count` distinct accounts, the same for the same seed, sorted by account ID. */
export function syntheticAccounts(count: number, seed = 1): MemberAccount[] {
  let state = seed;
  // A linear congruential generator: deterministic and good enough to spread IDs.
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const accounts = new Map<string, MemberAccount>();
  // The generator's products lose low bits in doubles, so its cycle is short: say so rather than spin.
  for (let draws = 0; accounts.size < count; draws++) {
    if (draws > count * 20) throw new Error(`syntheticAccounts: the generator yields fewer than ${count} distinct accounts`);
    const accountId = String(100000000000 + Math.floor(next() * 899999999999));
    if (accountId === '999999999999' || accounts.has(accountId)) continue;
    accounts.set(accountId, { accountId, email: `aws+${pick(TEAMS)}-${pick(ENVIRONMENTS)}-${accounts.size}@${pick(DOMAINS)}` });
  }
  return [...accounts.values()].sort((a, b) => a.accountId.localeCompare(b.accountId));
}
