/**
 * The member list both constructs share: synth-time validation (each error names the property
 * and the value; unresolved tokens pass through) and the property encoding.
 */
import { Lazy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { zlibSync } from 'fflate';
import { MemberAccount } from '../member-account';
import { shown, validationError } from './errors';
import {
  ACCOUNT_ID_PATTERN,
  EMAIL_MAX_LENGTH,
  EMAIL_PATTERN,
  encodeMember,
  joinMemberEntries,
  MemberProperties,
  MEMBERS_BUDGET_BYTES,
} from './properties';
import { ServiceDefinition } from './services/service-definition';

/**
 * The readable list while it fits the request budget (so `cdk diff` shows each added or removed
 * account), else the compressed form. Compression is fflate's pure-JavaScript zlib: unlike
 * Node's native zlib its output is the same on every platform, so snapshots stay stable.
 */
export function encodeMemberProperties(entries: string[]): MemberProperties {
  if (entries.some((entry) => Token.isUnresolved(entry)) || jsonBytes(entries) <= MEMBERS_BUDGET_BYTES) {
    return { Members: entries };
  }
  const compressed = zlibSync(Buffer.from(joinMemberEntries(entries), 'utf8'), { level: 9 });
  return { MembersCompressed: Buffer.from(compressed).toString('base64'), MemberCount: String(entries.length) };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * An account ID as the services take it: a string of 12 digits (a token passes). A number is
 * refused with its own reason: it loses leading zeros, and jsii languages pass it unquoted.
 */
export function checkAccountId(scope: Construct, where: string, accountId: unknown, idWhere = `${where}.accountId`): asserts accountId is string {
  if (accountId === undefined || accountId === null || accountId === '') {
    throw validationError(scope, 'MissingMemberAccountId', `${idWhere} is missing: give the member's 12-digit account ID`);
  }
  if (typeof accountId === 'number') {
    throw validationError(scope, 'InvalidMemberAccountId', `${idWhere} is the number ${accountId}, not a string: ` +
      `write it in quotes, '${String(accountId).padStart(12, '0')}' (a number loses an ID's leading zeros)`);
  }
  if (typeof accountId !== 'string' || (!Token.isUnresolved(accountId) && !ACCOUNT_ID_PATTERN.test(accountId))) {
    throw validationError(scope, 'InvalidMemberAccountId', `${idWhere} ${shown(scope, accountId)} is not a 12-digit AWS account ID`);
  }
}

export class DeclaredMembers {
  private readonly members = new Map<string, MemberAccount>();
  private encoded?: { size: number; properties: MemberProperties };

  /**
   * @param otherBytes what else each request carries that grows with the declaration (the
   *   stack's other constructs' accounts), counted in the same budget
   */
  constructor(private readonly scope: Construct, private readonly service: ServiceDefinition, otherBytes: () => number = () => 0) {
    scope.node.addValidation({ validate: () => this.validateSize(otherBytes()) });
  }

  get count(): number {
    return this.members.size;
  }

  /**
   * An account named by ID alone (Inspector: no email): checked as a member's ID is.
   * @param where how the user wrote it, e.g. `accountIds[2]` or `addAccount()`
   */
  addAccount(accountId: string, where: string): void {
    checkAccountId(this.scope, where, accountId, where);
    this.register(accountId, '', where);
  }

  /** @param where how the user wrote it, e.g. `members[2]` or `addMember()` */
  add(member: MemberAccount, where: string): void {
    const fail = (code: string, message: string) => {
      throw validationError(this.scope, code, message);
    };
    const { accountId, email } = member ?? ({} as MemberAccount);
    checkAccountId(this.scope, where, accountId);
    const account = shown(this.scope, accountId, false);
    if (email === undefined || email === null || email === '') {
      fail('MissingMemberEmail', `${where}.email is missing (account ${account}): give the account's root user email`);
    }
    if (typeof email !== 'string' || (!Token.isUnresolved(email) && !EMAIL_PATTERN.test(email))) {
      fail('InvalidMemberEmail', `${where}.email ${shown(this.scope, email)} (account ${account}) is not an email address like name@example.com`);
    }
    if (!Token.isUnresolved(email) && email.length > EMAIL_MAX_LENGTH) {
      fail('MemberEmailTooLong', `${where}.email '${email}' (account ${account}) is longer than ${EMAIL_MAX_LENGTH} characters, the service's limit`);
    }
    this.register(accountId, email, `${where}.accountId`);
  }

  /** The checks every declared account gets, then the account. `where` names the ID as the user wrote it. */
  private register(accountId: string, email: string, where: string): void {
    const fail = (code: string, message: string) => {
      throw validationError(this.scope, code, message);
    };
    if (this.members.has(accountId)) {
      fail('DuplicateMember', `${where} ${shown(this.scope, accountId)} is declared twice; each account may appear once`);
    }
    const stackAccount = Stack.of(this.scope).account;
    if (!Token.isUnresolved(accountId) && !Token.isUnresolved(stackAccount) && accountId === stackAccount) {
      fail('AdministratorAsMember', `${where} '${accountId}' is this stack's own account: the administrator cannot be its own member`);
    }
    const { quota, quotaUnit, name } = this.service;
    if (this.members.size + 1 > quota) {
      fail('TooManyMembers', `${where.replace(/\.accountId$/, '')}: ${this.members.size + 1} members declared, but ${name} allows at most ${quota} ${quotaUnit}`);
    }
    this.members.set(accountId, { accountId, email });
  }

  /**
   * The member properties, produced at synth time so `addMember()` calls after construction
   * count. Exactly one of `Members` and `MembersCompressed` resolves; the other is omitted.
   */
  lazyProperties(): MemberProperties {
    return {
      Members: Lazy.list({ produce: () => this.properties().Members }),
      MembersCompressed: Lazy.string({ produce: () => this.properties().MembersCompressed }),
      MemberCount: Lazy.string({ produce: () => this.properties().MemberCount as string | undefined }),
    };
  }

  private properties(): MemberProperties {
    if (this.encoded?.size !== this.members.size) {
      this.encoded = { size: this.members.size, properties: encodeMemberProperties(this.entries()) };
    }
    return this.encoded.properties;
  }

  private validateSize(otherBytes: number): string[] {
    const properties = this.properties();
    const bytes = jsonBytes(properties);
    if (bytes + otherBytes <= MEMBERS_BUDGET_BYTES) {
      return [];
    }
    if (bytes <= MEMBERS_BUDGET_BYTES) {
      return [
        `members: ${this.members.size} members (${Math.ceil(bytes / 1024)} KiB) and the account IDs of the stack's other ` +
        `${this.service.name} constructs (${Math.ceil(otherBytes / 1024)} KiB, sent with each so an account moved between them is never ` +
        `removed) are more than the ${MEMBERS_BUDGET_BYTES / 1024} KiB one custom-resource request can carry (CloudFormation sends the ` +
        'old and the new properties together, within 256 KiB); put some of the constructs in another stack',
      ];
    }
    return [
      `members: ${this.members.size} members take ${Math.ceil(bytes / 1024)} KiB even compressed, more than the ` +
      `${MEMBERS_BUDGET_BYTES / 1024} KiB one custom-resource request can carry for them (CloudFormation sends the old and ` +
      'the new properties together, within 256 KiB); split the accounts across several constructs on the same ' +
      `${this.service.target.noun}`,
    ];
  }

  /** The declared account IDs known at synth time (tokens left out). */
  accountIds(): string[] {
    return [...this.members.keys()].filter((id) => !Token.isUnresolved(id));
  }

  /** `accountId:email` entries sorted by account ID, so declaration order never shows up as a change. */
  entries(): string[] {
    return [...this.members.values()]
      .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0))
      .map(encodeMember);
  }
}
