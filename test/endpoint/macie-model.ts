/**
 * The members of one Macie (macie2) administrator, with the service's rules as it really behaves
 * (test code, never shipped): CreateMember takes one account per call, organization accounts are
 * Enabled at once (and read back without an email), other accounts stay Created until
 * CreateInvitations, whose invitation goes out only to the account's root email; quotas differ by
 * how accounts joined; CreateMember throttles in bursts. The routes are in macie-service.ts.
 */
import { ADMINISTRATOR_ACCOUNT, REGION, ServiceError } from './wire';

export type MacieStatus = 'Enabled' | 'Paused' | 'Invited' | 'Created' | 'Removed' | 'Resigned'
| 'EmailVerificationInProgress' | 'EmailVerificationFailed' | 'RegionDisabled' | 'AccountSuspended';

export interface MacieMember {
  accountId: string;
  /** As given to CreateMember; organization accounts read back without one. */
  email: string;
  status: MacieStatus;
  tags: Record<string, string>;
  /** ISO 8601, once an invitation went out. */
  invitedAt?: string;
  updatedAt: string;
}

/** One invitation that went out (after the root email was verified). */
export interface MacieInvitation {
  readonly accountId: string;
  readonly email: string;
  readonly message?: string;
  /** False when disableEmailNotification asked for no email. */
  readonly emailed: boolean;
}

/** A token bucket: refilled at perSecond, holding burst. */
export interface BurstLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Statuses still tied to the administrator: listed by default, and not deletable. */
const ASSOCIATED: readonly MacieStatus[] = ['Enabled', 'Paused', 'Invited', 'EmailVerificationInProgress', 'RegionDisabled', 'AccountSuspended'];
/** Statuses after which the account may be created again. */
const GONE: readonly MacieStatus[] = ['Removed', 'Resigned'];

export class MacieModel {
  readonly members = new Map<string, MacieMember>();
  /** Organization accounts: Enabled on CreateMember, not invitable. */
  readonly organization = new Set<string>();
  /** Each account's real root email: an invitation to any other address fails verification. */
  readonly rootEmails = new Map<string, string>();
  /** Organization accounts that join in this status instead of Enabled (RegionDisabled, AccountSuspended). */
  readonly endsIn = new Map<string, MacieStatus>();
  /** Invitations that went out, in order. */
  readonly invitations: MacieInvitation[] = [];
  /** Email verification finishes after the call that started it: the next read shows the outcome. */
  asyncVerification = false;
  /** Members per administrator, by how they joined. */
  readonly quota = { organization: 10000, invitation: 1000 };
  /** CreateMember's burst throttling; undefined: none. */
  createMemberLimit?: BurstLimit;
  private bucket?: { tokens: number; at: number; limit: BurstLimit };
  /** The invitation options of verifications still under way. */
  private readonly deferred = new Map<string, { message?: string; disableEmailNotification: boolean }>();
  /** The clock of createMemberLimit's bucket; a test may set its own. */
  now: () => number = () => performance.now();

  state(): Record<string, string> {
    const sorted = [...this.members.values()].sort((a, b) => a.accountId.localeCompare(b.accountId));
    return Object.fromEntries(sorted.map((m) => [m.accountId, m.status]));
  }

  associated(member: MacieMember): boolean {
    return ASSOCIATED.includes(member.status);
  }

  /** Takes a CreateMember token; an empty bucket is macie2's ThrottlingException. */
  private takeCreateToken() {
    const limit = this.createMemberLimit;
    if (!limit) return;
    const now = this.now();
    if (!this.bucket || this.bucket.limit !== limit) this.bucket = { tokens: limit.burst, at: now, limit };
    this.bucket.tokens = Math.min(limit.burst, this.bucket.tokens + ((now - this.bucket.at) / 1000) * limit.perSecond);
    this.bucket.at = now;
    if (this.bucket.tokens < 1) throw this.throttled();
    this.bucket.tokens -= 1;
  }

  throttled(): ServiceError {
    return new ServiceError(429, 'ThrottlingException', 'The request failed because you sent too many requests during a certain amount of time.');
  }

  private countJoined(kind: 'organization' | 'invitation'): number {
    return [...this.members.values()].filter((m) => !GONE.includes(m.status) && this.organization.has(m.accountId) === (kind === 'organization')).length;
  }

  create(accountId: string, email: string, tags: Record<string, string>) {
    this.takeCreateToken();
    const existing = this.members.get(accountId);
    if (existing && !GONE.includes(existing.status)) {
      throw new ServiceError(409, 'ConflictException', `The request failed because account ${accountId} is already a member of the administrator account.`);
    }
    const kind = this.organization.has(accountId) ? 'organization' : 'invitation';
    if (this.countJoined(kind) >= this.quota[kind]) {
      const how = kind === 'organization' ? 'through AWS Organizations' : 'by invitation';
      throw new ServiceError(402, 'ServiceQuotaExceededException',
        `The request failed because it would exceed the quota of ${this.quota[kind]} member accounts associated ${how}.`);
    }
    const status = kind === 'organization' ? this.endsIn.get(accountId) ?? 'Enabled' : 'Created';
    this.members.set(accountId, { accountId, email, status, tags, updatedAt: new Date().toISOString() });
    return { arn: this.arn(accountId) };
  }

  arn(accountId: string): string {
    return `arn:aws:macie2:${REGION}:${ADMINISTRATOR_ACCOUNT}:member/${accountId}`;
  }

  invite(accountIds: string[], message: string | undefined, disableEmailNotification: boolean) {
    const unprocessedAccounts: { accountId: string; errorCode: string; errorMessage: string }[] = [];
    const refuse = (accountId: string, errorMessage: string) => unprocessedAccounts.push({ accountId, errorCode: 'ClientError', errorMessage });
    for (const accountId of accountIds) {
      const member = this.members.get(accountId);
      if (!member) {
        refuse(accountId, 'The account is not a member of the administrator account. Add it with CreateMember first.');
      } else if (this.organization.has(accountId)) {
        refuse(accountId, 'The account is part of the organization: organization accounts are associated through AWS Organizations and cannot be invited.');
      } else if (this.associated(member)) {
        refuse(accountId, 'The account has already been invited or is already associated with the administrator account.');
      } else if (member.status !== 'EmailVerificationFailed') {
        // A failed verification stays failed until the member is deleted and created again.
        member.status = 'EmailVerificationInProgress';
        member.updatedAt = new Date().toISOString();
        if (!this.asyncVerification) this.verify(member, message, disableEmailNotification);
        else this.deferred.set(accountId, { message, disableEmailNotification });
      }
    }
    return { unprocessedAccounts };
  }

  /** The end of email verification: the invitation goes out only to the account's root email. */
  private verify(member: MacieMember, message: string | undefined, disableEmailNotification: boolean) {
    const root = this.rootEmails.get(member.accountId);
    member.updatedAt = new Date().toISOString();
    if (root !== undefined && root.toLowerCase() !== member.email.toLowerCase()) {
      member.status = 'EmailVerificationFailed';
      return;
    }
    member.status = 'Invited';
    member.invitedAt = member.updatedAt;
    this.invitations.push({ accountId: member.accountId, email: member.email, message, emailed: !disableEmailNotification });
  }

  /** A member as a read (GetMember, ListMembers) sees it: a verification under way has finished by now. */
  read(member: MacieMember): MacieMember {
    if (member.status === 'EmailVerificationInProgress') {
      const options = this.deferred.get(member.accountId) ?? { disableEmailNotification: false };
      this.deferred.delete(member.accountId);
      this.verify(member, options.message, options.disableEmailNotification);
    }
    return member;
  }

  get(accountId: string): MacieMember {
    const member = this.members.get(accountId);
    if (!member) throw this.notFound(accountId);
    return this.read(member);
  }

  notFound(accountId: string): ServiceError {
    return new ServiceError(404, 'ResourceNotFoundException', `The request failed because account ${accountId} is not a member of the administrator account.`);
  }

  /** DisassociateMember: an associated member becomes Removed; any other member stays as it is. */
  disassociate(accountId: string) {
    const member = this.members.get(accountId);
    if (!member) throw this.notFound(accountId);
    if (this.associated(member)) {
      member.status = 'Removed';
      member.updatedAt = new Date().toISOString();
    }
    return {};
  }

  delete(accountId: string) {
    const member = this.members.get(accountId);
    if (!member) throw this.notFound(accountId);
    if (this.associated(member)) {
      throw new ServiceError(409, 'ConflictException', `The request failed because account ${accountId} is still associated with the administrator account. Disassociate it first.`);
    }
    this.members.delete(accountId);
    return {};
  }

  wire(m: MacieMember) {
    return {
      accountId: m.accountId,
      administratorAccountId: ADMINISTRATOR_ACCOUNT,
      masterAccountId: ADMINISTRATOR_ACCOUNT,
      arn: this.arn(m.accountId),
      // Accounts associated through Organizations read back with a null email.
      email: this.organization.has(m.accountId) ? null : m.email,
      invitedAt: m.invitedAt,
      relationshipStatus: m.status,
      tags: m.tags,
      updatedAt: m.updatedAt,
    };
  }
}
