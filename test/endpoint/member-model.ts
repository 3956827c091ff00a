/**
 * The member state of one administrator in GuardDuty, Detective and Security Hub, with the
 * services' rules as they really behave (test code, never shipped). The routes that put it on
 * the wire are in member-services.ts.
 */
import { GuardDutyPlans } from './guardduty-features';
import { ADMINISTRATOR_ACCOUNT, ServiceError } from './wire';

export const GRAPH_ARN_PATTERN = /^arn:aws[-\w]{0,10}?:detective:[-\w]{2,20}?:\d{12}?:graph:[abcdef\d]{32}?$/;

export interface Member {
  accountId: string;
  email: string;
  status: string;
  /** When the invitation went out (ISO 8601). */
  invitedAt?: string;
}

export type MemberService = 'GuardDuty' | 'Detective' | 'SecurityHub';
export type DisabledReason = 'VOLUME_TOO_HIGH' | 'VOLUME_UNKNOWN';
/** Security Hub's MemberStatus as documented (`Enabled`) or upper-case (`ENABLED`), as it has been seen returned. */
export type StatusCase = 'as-documented' | 'upper';

/** Security Hub statuses still tied to the administrator. */
const SH_ASSOCIATED = ['Invited', 'Enabled'];
/** GuardDuty statuses of a member that accepted, or whose invitation is under way. */
const GD_ASSOCIATED = ['Invited', 'Enabled', 'Disabled', 'EmailVerificationInProgress'];
const UPDATED_AT = '2026-11-21T00:00:00.000Z';

interface GuardDutyResult { accountId: string; result: string }
interface SecurityHubResult { AccountId: string; ProcessingResult: string }

/** One administrator's detector (its members' plans in GuardDutyPlans), behavior graph and hub, plus facts about other accounts. */
export class MemberModel extends GuardDutyPlans {
  readonly detectorId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  readonly graphArn = 'arn:aws:detective:us-east-1:999999999999:graph:0123456789abcdef0123456789abcdef';
  readonly hubArn = 'arn:aws:securityhub:us-east-1:999999999999:hub/default';
  detectorExists = true;
  graphExists = true;
  /** False: the account has no Security Hub, and every Security Hub call answers InvalidAccessException. */
  hubEnabled = true;
  readonly guardDuty = new Map<string, Member>();
  readonly detective = new Map<string, Member>();
  /** Security Hub members, statuses as documented (`AccountSuspended`); `statusCase` decides the wire case. */
  readonly securityHub = new Map<string, Member>();
  /** Organization accounts: enabled at once, not invitable. */
  readonly organization = new Set<string>();
  /** Accounts bound to another administrator, with the service's reason. */
  readonly boundElsewhere = new Map<string, string>();
  /** Invitations actually sent, per `<service>:<account>` (an email each). */
  readonly invitations = new Map<string, number>();
  /** Each account's real root email: an invitation to any other address fails verification. */
  readonly rootEmails = new Map<string, string>();
  /** Email verification finishes after the call that started it: the next read shows the outcome. */
  asyncVerification = false;
  /** Detective organization accounts that join disabled, with the reason. */
  readonly disabledReason = new Map<string, DisabledReason>();
  /** `<service>:<account>` for every account an InviteMembers named although it is an organization account. */
  readonly invitesToOrganizationAccounts: string[] = [];
  statusCase: StatusCase = 'as-documented';
  /** Security Hub members per administrator, by how they joined. */
  readonly securityHubQuota = { invitation: 1000, organization: 10000 };

  private invited(service: MemberService, accountId: string) {
    const key = `${service}:${accountId}`;
    this.invitations.set(key, (this.invitations.get(key) ?? 0) + 1);
  }

  private rootEmailMatches(accountId: string, email: string): boolean {
    const root = this.rootEmails.get(accountId);
    return root === undefined || root.toLowerCase() === email.toLowerCase();
  }

  private noteOrganizationInvites(service: MemberService, accountIds: string[]) {
    accountIds.filter((id) => this.organization.has(id)).forEach((id) => this.invitesToOrganizationAccounts.push(`${service}:${id}`));
  }

  state(service: MemberService): Record<string, string> {
    const members = { GuardDuty: this.guardDuty, Detective: this.detective, SecurityHub: this.securityHub }[service];
    return Object.fromEntries([...members.values()].sort((a, b) => a.accountId.localeCompare(b.accountId)).map((m) => [m.accountId, m.status]));
  }

  // --- GuardDuty ---
  gdCreate(details: { accountId: string; email: string }[]) {
    const unprocessed: GuardDutyResult[] = [];
    for (const { accountId, email } of details) {
      const existing = this.guardDuty.get(accountId);
      if (this.boundElsewhere.has(accountId)) {
        unprocessed.push({ accountId, result: this.boundElsewhere.get(accountId)! });
      } else if (existing && !(this.organization.has(accountId) && existing.status === 'Removed')) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is already a member or associated member of the current account.' });
      } else {
        this.guardDuty.set(accountId, { accountId, email, status: this.organization.has(accountId) ? 'Enabled' : 'Created' });
        if (this.organization.has(accountId)) this.gdJoined(accountId);
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  gdInvite(accountIds: string[]) {
    this.noteOrganizationInvites('GuardDuty', accountIds);
    const unprocessed: GuardDutyResult[] = [];
    for (const accountId of accountIds) {
      const member = this.guardDuty.get(accountId);
      if (!member) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is not a member of the current account.' });
      } else if (this.organization.has(accountId)) {
        unprocessed.push({ accountId, result: 'The request is rejected because an organization account cannot be invited.' });
      } else if (GD_ASSOCIATED.includes(member.status)) {
        unprocessed.push({ accountId, result: 'The request is rejected because the current account has already invited or is already the GuardDuty master of the given member account ID.' });
      } else if (member.status !== 'EmailVerificationFailed') {
        // A failed verification stays failed until the member is deleted and created again.
        member.status = 'EmailVerificationInProgress';
        if (!this.asyncVerification) this.gdVerify(member);
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  /** The end of email verification: the invitation goes out only to the account's root email. */
  private gdVerify(member: Member) {
    if (this.rootEmailMatches(member.accountId, member.email)) {
      member.status = 'Invited';
      member.invitedAt = new Date().toISOString();
      this.invited('GuardDuty', member.accountId);
    } else {
      member.status = 'EmailVerificationFailed';
    }
  }

  /** A member as a read (GetMembers, ListMembers) sees it: a verification under way has finished by now. */
  gdRead(member: Member): Member {
    if (member.status === 'EmailVerificationInProgress') this.gdVerify(member);
    return member;
  }

  /** Listed by ListMembers unless onlyAssociated is false. */
  gdAssociated(m: Member): boolean {
    return GD_ASSOCIATED.includes(m.status);
  }

  gdDisassociate(accountIds: string[]) {
    const unprocessed: GuardDutyResult[] = [];
    for (const accountId of accountIds) {
      const member = this.guardDuty.get(accountId);
      if (!member) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is not a member of the current account.' });
      } else if (this.autoEnableAll && this.organization.has(accountId)) {
        unprocessed.push({ accountId, result: 'The request is rejected because auto-enable is set to ALL: remove the account from the organization first.' });
      } else if (member.status !== 'Created') {
        member.status = 'Removed';
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  gdDelete(accountIds: string[]) {
    const unprocessed: GuardDutyResult[] = [];
    for (const accountId of accountIds) {
      const member = this.guardDuty.get(accountId);
      if (!member) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is not a member of the current account.' });
      } else if (GD_ASSOCIATED.includes(member.status)) {
        unprocessed.push({ accountId, result: 'The request is rejected. The current account cannot delete the specified member account ID because it is still associated with it.' });
      } else {
        this.guardDuty.delete(accountId);
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  gdWire(m: Member) {
    return {
      accountId: m.accountId,
      detectorId: 'member-detector',
      administratorId: ADMINISTRATOR_ACCOUNT,
      masterId: ADMINISTRATOR_ACCOUNT,
      email: m.email,
      relationshipStatus: m.status,
      invitedAt: m.invitedAt,
      updatedAt: UPDATED_AT,
    };
  }

  // --- Detective ---
  dtCreate(accounts: { AccountId: string; EmailAddress: string }[]) {
    const fresh = accounts.filter((a) => !this.detective.has(a.AccountId) && !this.boundElsewhere.has(a.AccountId));
    if (this.detective.size + fresh.length > 1200) {
      throw new ServiceError(402, 'ServiceQuotaExceededException', 'This request cannot be completed because it would exceed the member account quota of 1200.');
    }
    const unprocessed: { AccountId: string; Reason: string }[] = [];
    const members: object[] = [];
    for (const { AccountId, EmailAddress } of accounts) {
      if (this.boundElsewhere.has(AccountId)) {
        unprocessed.push({ AccountId, Reason: this.boundElsewhere.get(AccountId)! });
      } else if (this.detective.has(AccountId)) {
        unprocessed.push({ AccountId, Reason: 'Account is already a member' });
      } else {
        const member = { accountId: AccountId, email: EmailAddress, status: 'VERIFICATION_IN_PROGRESS' };
        if (this.organization.has(AccountId)) {
          member.status = this.disabledReason.has(AccountId) ? 'ACCEPTED_BUT_DISABLED' : 'ENABLED';
        } else if (!this.asyncVerification) {
          this.dtVerify(member);
        }
        this.detective.set(AccountId, member);
        // Processed is not a success: failed verifications and disabled accounts are listed too.
        members.push(this.dtWire(member));
      }
    }
    return { Members: members, UnprocessedAccounts: unprocessed };
  }

  private dtVerify(member: Member) {
    if (this.rootEmailMatches(member.accountId, member.email)) {
      member.status = 'INVITED';
      member.invitedAt = new Date().toISOString();
      this.invited('Detective', member.accountId);
    } else {
      member.status = 'VERIFICATION_FAILED';
    }
  }

  dtRead(member: Member): Member {
    if (member.status === 'VERIFICATION_IN_PROGRESS') this.dtVerify(member);
    return member;
  }

  dtDelete(accountIds: string[]) {
    const removed: string[] = [];
    const unprocessed: { AccountId: string; Reason: string }[] = [];
    for (const id of accountIds) {
      if (id === this.graphArn.split(':')[4]) {
        unprocessed.push({ AccountId: id, Reason: 'The administrator account cannot be removed from its own behavior graph.' });
      } else if (this.detective.delete(id)) {
        removed.push(id);
      } else {
        unprocessed.push({ AccountId: id, Reason: 'Account is not a member of the behavior graph' });
      }
    }
    return { AccountIds: removed, UnprocessedAccounts: unprocessed };
  }

  dtWire(m: Member) {
    return {
      AccountId: m.accountId,
      EmailAddress: m.email,
      GraphArn: this.graphArn,
      Status: m.status,
      DisabledReason: m.status === 'ACCEPTED_BUT_DISABLED' ? this.disabledReason.get(m.accountId) ?? 'VOLUME_UNKNOWN' : undefined,
      InvitationType: this.organization.has(m.accountId) ? 'ORGANIZATION' : 'INVITATION',
      AdministratorId: ADMINISTRATOR_ACCOUNT,
      InvitedTime: m.invitedAt,
    };
  }

  // --- Security Hub ---
  shCheckHub() {
    if (!this.hubEnabled) {
      throw new ServiceError(401, 'InvalidAccessException', `Account ${ADMINISTRATOR_ACCOUNT} is not subscribed to AWS Security Hub`);
    }
  }

  shCreate(details: { AccountId: string; Email?: string }[]) {
    const unprocessed: SecurityHubResult[] = [];
    const joined = { organization: 0, invitation: 0 };
    this.securityHub.forEach((m) => joined[this.organization.has(m.accountId) ? 'organization' : 'invitation']++);
    for (const { AccountId, Email } of details) {
      const existing = this.securityHub.get(AccountId);
      const kind = this.organization.has(AccountId) ? 'organization' : 'invitation';
      if (AccountId === ADMINISTRATOR_ACCOUNT) {
        unprocessed.push({ AccountId, ProcessingResult: 'The administrator account cannot be added as a member account.' });
      } else if (this.boundElsewhere.has(AccountId)) {
        unprocessed.push({ AccountId, ProcessingResult: this.boundElsewhere.get(AccountId)! });
      } else if (existing && !['Removed', 'Resigned', 'Deleted'].includes(existing.status)) {
        unprocessed.push({ AccountId, ProcessingResult: 'The account is already a member of the administrator account.' });
      } else if (!existing && joined[kind] >= this.securityHubQuota[kind]) {
        const how = kind === 'organization' ? 'through AWS Organizations' : 'by invitation';
        unprocessed.push({ AccountId, ProcessingResult: `The request would exceed the limit of ${this.securityHubQuota[kind]} member accounts associated ${how}.` });
      } else {
        if (!existing) joined[kind]++;
        this.securityHub.set(AccountId, { accountId: AccountId, email: Email ?? '', status: kind === 'organization' ? 'Enabled' : 'Created' });
      }
    }
    return { UnprocessedAccounts: unprocessed };
  }

  shInvite(accountIds: string[]) {
    this.noteOrganizationInvites('SecurityHub', accountIds);
    const unprocessed: SecurityHubResult[] = [];
    for (const AccountId of accountIds) {
      const member = this.securityHub.get(AccountId);
      if (!member) {
        unprocessed.push({ AccountId, ProcessingResult: 'The account is not a member of the administrator account.' });
      } else if (this.organization.has(AccountId)) {
        unprocessed.push({ AccountId, ProcessingResult: 'The account belongs to the organization: organization accounts are enabled automatically and do not receive invitations.' });
      } else if (SH_ASSOCIATED.includes(member.status)) {
        unprocessed.push({ AccountId, ProcessingResult: 'The account has already been invited or is already an associated member account.' });
      } else if (member.status === 'AccountSuspended') {
        unprocessed.push({ AccountId, ProcessingResult: 'The account is suspended.' });
      } else {
        member.status = 'Invited';
        member.invitedAt = new Date().toISOString();
        this.invited('SecurityHub', AccountId);
      }
    }
    return { UnprocessedAccounts: unprocessed };
  }

  /** DisassociateMembers answers nothing per account: members that are not associated stay as they are. */
  shDisassociate(accountIds: string[]) {
    for (const id of accountIds) {
      const member = this.securityHub.get(id);
      if (member && SH_ASSOCIATED.includes(member.status)) member.status = 'Removed';
    }
    return {};
  }

  shDelete(accountIds: string[]) {
    const unprocessed: SecurityHubResult[] = [];
    for (const AccountId of accountIds) {
      const member = this.securityHub.get(AccountId);
      if (!member) {
        unprocessed.push({ AccountId, ProcessingResult: 'The account is not a member of the administrator account.' });
      } else if (SH_ASSOCIATED.includes(member.status)) {
        unprocessed.push({ AccountId, ProcessingResult: 'The member account is still associated with the administrator account. Disassociate it first.' });
      } else if (this.organization.has(AccountId)) {
        // As documented: DeleteMembers only deletes accounts that became members by invitation.
        unprocessed.push({ AccountId, ProcessingResult: 'The account belongs to the organization: organization member accounts cannot be deleted, only disassociated.' });
      } else {
        this.securityHub.delete(AccountId);
      }
    }
    return { UnprocessedAccounts: unprocessed };
  }

  shWire(m: Member) {
    const status = this.statusCase === 'upper' ? m.status.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() : m.status;
    return {
      AccountId: m.accountId,
      Email: m.email || undefined,
      AdministratorId: ADMINISTRATOR_ACCOUNT,
      MasterId: ADMINISTRATOR_ACCOUNT,
      MemberStatus: status,
      InvitedAt: m.invitedAt,
      UpdatedAt: UPDATED_AT,
    };
  }

  shAssociated(m: Member): boolean {
    return SH_ASSOCIATED.includes(m.status);
  }
}
