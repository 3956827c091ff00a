/**
 * The member list both constructs share: synth-time validation (each error names the property
 * and the value; unresolved tokens pass through) and the property encoding.
 */
import { Lazy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MemberAccount } from '../member-account';
import { ACCOUNT_ID_PATTERN, EMAIL_MAX_LENGTH, EMAIL_PATTERN, encodeMember, MEMBER_QUOTA, ServiceName } from './properties';

const QUOTA_UNIT: Record<ServiceName, string> = {
  GuardDuty: 'per administrator account',
  Detective: 'per behavior graph',
};

export class DeclaredMembers {
  private readonly members = new Map<string, MemberAccount>();

  constructor(private readonly scope: Construct, private readonly service: ServiceName) {}

  get count(): number {
    return this.members.size;
  }

  /** @param where how the user wrote it, e.g. `members[2]` or `addMember()` */
  add(member: MemberAccount, where: string): void {
    const fail = (message: string) => {
      throw new Error(`${this.scope.node.path}: ${message}`);
    };
    const { accountId, email } = member ?? ({} as MemberAccount);
    if (typeof accountId !== 'string' || (!Token.isUnresolved(accountId) && !ACCOUNT_ID_PATTERN.test(accountId))) {
      fail(`${where}.accountId '${String(accountId)}' is not a 12-digit AWS account ID`);
    }
    if (typeof email !== 'string' || (!Token.isUnresolved(email) && !EMAIL_PATTERN.test(email))) {
      fail(`${where}.email '${String(email)}' (account ${accountId}) is not an email address like name@example.com`);
    }
    if (!Token.isUnresolved(email) && email.length > EMAIL_MAX_LENGTH) {
      fail(`${where}.email '${email}' (account ${accountId}) is longer than ${EMAIL_MAX_LENGTH} characters, the service's limit`);
    }
    if (this.members.has(accountId)) {
      fail(`${where}.accountId '${accountId}' is declared twice; each account may appear once`);
    }
    const stackAccount = Stack.of(this.scope).account;
    if (!Token.isUnresolved(accountId) && !Token.isUnresolved(stackAccount) && accountId === stackAccount) {
      fail(`${where}.accountId '${accountId}' is this stack's own account: the administrator cannot be its own member`);
    }
    const quota = MEMBER_QUOTA[this.service];
    if (this.members.size + 1 > quota) {
      fail(`${where}: ${this.members.size + 1} members declared, but ${this.service} allows at most ${quota} ${QUOTA_UNIT[this.service]}`);
    }
    this.members.set(accountId, { accountId, email });
  }

  /** The encoded list, produced at synth time so `addMember()` calls after construction count. */
  lazyEncoded(): string[] {
    return Lazy.list({ produce: () => this.encode() });
  }

  /** Sorted by account ID, so declaration order never shows up as a change. */
  encode(): string[] {
    return [...this.members.values()]
      .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0))
      .map(encodeMember);
  }
}
