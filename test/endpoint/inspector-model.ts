/**
 * The members of one Inspector (inspector2) delegated administrator, with the service's rules as
 * it really behaves (test code, never shipped): organization accounts only, no invitations;
 * AssociateMember and DisassociateMember only start the change (HTTP 200 means "started"), and
 * reads see it finish later; Enable turns scan types on per account and reports failures per
 * account. The routes that put it on the wire are in inspector-service.ts.
 */
import { ADMINISTRATOR_ACCOUNT, ServiceError } from './wire';

export type InspectorStatus = 'CREATED' | 'INVITED' | 'DISABLED' | 'ENABLED' | 'REMOVED' | 'RESIGNED' | 'DELETED'
| 'EMAIL_VERIFICATION_IN_PROGRESS' | 'EMAIL_VERIFICATION_FAILED' | 'REGION_DISABLED' | 'ACCOUNT_SUSPENDED'
| 'CANNOT_CREATE_DETECTOR_IN_ORG_MASTER';
export type InspectorScanType = 'EC2' | 'ECR' | 'LAMBDA' | 'LAMBDA_CODE' | 'CODE_REPOSITORY';
export const SCAN_TYPES: readonly InspectorScanType[] = ['EC2', 'ECR', 'LAMBDA', 'LAMBDA_CODE', 'CODE_REPOSITORY'];

/**
 * How long an association or disassociation stays under way: until this many reads of the member
 * (GetMember, ListMembers) have shown it in progress, or this many milliseconds have passed on the
 * model's clock, whichever comes first. Neither: never (a stuck change).
 */
export interface SettleAfter {
  readonly reads?: number;
  readonly ms?: number;
}

/** A change under way: what the member becomes once it settles. */
interface Pending {
  readonly target: InspectorStatus;
  readsLeft?: number;
  readonly dueAt?: number;
}

export interface InspectorMember {
  accountId: string;
  /** What reads show: while a change is under way, the status it started from (or the associating status). */
  status: InspectorStatus;
  /** Epoch milliseconds of the last status change. */
  updatedAt: number;
  pending?: Pending;
}

/** Why Enable refused an account (FailedAccount errorCode and errorMessage). */
export interface EnableFailure {
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** The wire names of the scan types in ResourceStatus and ResourceState. */
const RESOURCE_KEYS: Record<InspectorScanType, string> = { EC2: 'ec2', ECR: 'ecr', LAMBDA: 'lambda', LAMBDA_CODE: 'lambdaCode', CODE_REPOSITORY: 'codeRepository' };

export class InspectorModel {
  readonly members = new Map<string, InspectorMember>();
  /** The organization's accounts: the only ones that can be associated. */
  readonly organization = new Set<string>();
  /** Accounts whose association ends in this status instead of ENABLED (REGION_DISABLED, ACCOUNT_SUSPENDED, ...). */
  readonly endsIn = new Map<string, InspectorStatus>();
  /** How long associations and disassociations take; default: the first read after the call still shows them under way. */
  settleAfter: SettleAfter = { reads: 1 };
  /** What reads show while an association is under way. */
  associatingStatus: InspectorStatus = 'CREATED';
  /** Associated members per delegated administrator. */
  quota = 10000;
  /** Accounts Enable fails for, with the reason it reports. */
  readonly enableFailures = new Map<string, EnableFailure>();
  /** The scan types enabled in each account (the administrator's own included). */
  readonly scanTypes = new Map<string, Set<InspectorScanType>>();
  /** The clock of the millisecond delays; a test may set its own. */
  now: () => number = () => Date.now();

  /** Each member's status as reads would show it now, without counting as a read. */
  state(): Record<string, string> {
    const sorted = [...this.members.values()].sort((a, b) => a.accountId.localeCompare(b.accountId));
    return Object.fromEntries(sorted.map((m) => [m.accountId, this.settle(m, false).status]));
  }

  /** Finishes a change under way once its reads or time are used up; `read`: this look counts as a read. */
  settle(member: InspectorMember, read: boolean): InspectorMember {
    const p = member.pending;
    if (!p) return member;
    const done = (p.readsLeft !== undefined && p.readsLeft <= 0) || (p.dueAt !== undefined && this.now() >= p.dueAt);
    if (done) {
      member.status = p.target;
      member.updatedAt = this.now();
      member.pending = undefined;
    } else if (read && p.readsLeft !== undefined) {
      p.readsLeft--;
    }
    return member;
  }

  private startChange(member: InspectorMember, target: InspectorStatus) {
    const { reads, ms } = this.settleAfter;
    member.pending = { target, readsLeft: reads, dueAt: ms === undefined ? undefined : this.now() + ms };
    member.updatedAt = this.now();
  }

  /** Associated: anything but REMOVED (a change under way counts as associated, and against the quota). */
  associated(member: InspectorMember): boolean {
    return this.settle(member, false).status !== 'REMOVED';
  }

  associate(accountId: string) {
    if (!this.organization.has(accountId)) {
      // What the service answers for an account outside the administrator's organization.
      throw new ServiceError(403, 'AccessDeniedException', 'Invoking account does not have access to associate member account');
    }
    const existing = this.members.get(accountId);
    if (existing && (existing.pending ? existing.pending.target !== 'REMOVED' : existing.status !== 'REMOVED')) {
      // Associated or being associated: nothing to start.
      return { accountId };
    }
    const counted = [...this.members.values()].filter((m) => m.accountId !== accountId && this.associated(m)).length;
    if (counted >= this.quota) {
      throw new ServiceError(402, 'ServiceQuotaExceededException',
        `The request is rejected because it would exceed the quota of ${this.quota} associated member accounts per delegated administrator.`,
        { resourceId: accountId });
    }
    const member = existing ?? { accountId, status: this.associatingStatus, updatedAt: this.now() };
    member.status = this.associatingStatus;
    this.startChange(member, this.endsIn.get(accountId) ?? 'ENABLED');
    this.members.set(accountId, member);
    return { accountId };
  }

  disassociate(accountId: string) {
    const member = this.members.get(accountId);
    const settled = member && this.settle(member, false);
    if (!settled || (settled.status === 'REMOVED' && !settled.pending)) {
      throw new ServiceError(400, 'ValidationException',
        'The request is rejected because the current account cannot disassociate the given member account ID since the latter is not yet associated to it.',
        { reason: 'OTHER' });
    }
    // Reads keep showing the status it had (CREATED or ENABLED) until the disassociation is through.
    if (settled.pending?.target !== 'REMOVED') this.startChange(settled, 'REMOVED');
    return { accountId };
  }

  /** GetMember's member: an account outside the organization is refused, an organization account never associated is not found. */
  get(accountId: string): InspectorMember {
    const member = this.members.get(accountId);
    if (member) return this.settle(member, true);
    if (!this.organization.has(accountId)) {
      throw new ServiceError(403, 'AccessDeniedException', 'Invoking account does not have access to get member account');
    }
    throw new ServiceError(404, 'ResourceNotFoundException', `Member account ${accountId} was not found.`);
  }

  /** ListMembers' members, each listed counting as a read; onlyAssociated leaves REMOVED ones out. */
  list(onlyAssociated: boolean): InspectorMember[] {
    return [...this.members.values()].map((m) => this.settle(m, true)).filter((m) => !onlyAssociated || this.associated(m));
  }

  wire(m: InspectorMember) {
    return { accountId: m.accountId, relationshipStatus: m.status, delegatedAdminAccountId: ADMINISTRATOR_ACCOUNT, updatedAt: m.updatedAt / 1000 };
  }

  /** Why Enable or BatchGetAccountStatus cannot act on this account, or undefined when it can. */
  private refusal(accountId: string): EnableFailure | undefined {
    if (accountId === ADMINISTRATOR_ACCOUNT) return undefined;
    const member = this.members.get(accountId);
    const status = member && this.settle(member, false).status;
    if (status === 'ENABLED') return undefined;
    if (status === 'ACCOUNT_SUSPENDED') return { errorCode: 'ACCOUNT_IS_ISOLATED', errorMessage: `Account ${accountId} is suspended.` };
    return { errorCode: 'ACCESS_DENIED', errorMessage: `Invoking account does not have access to account ${accountId}: it is not an associated member.` };
  }

  private resourceStatus(accountId: string, changed: readonly InspectorScanType[] = []) {
    const enabled = this.scanTypes.get(accountId) ?? new Set();
    return Object.fromEntries(SCAN_TYPES.map((t) => [RESOURCE_KEYS[t], changed.includes(t) ? 'ENABLING' : enabled.has(t) ? 'ENABLED' : 'DISABLED']));
  }

  private accountStatus(accountId: string): string {
    return (this.scanTypes.get(accountId)?.size ?? 0) > 0 ? 'ENABLED' : 'DISABLED';
  }

  /** Enable: turns the scan types on in each account it can; the others are failedAccounts. Newly enabled types answer ENABLING. */
  enable(accountIds: string[], types: InspectorScanType[]) {
    const accounts: object[] = [];
    const failedAccounts: object[] = [];
    for (const accountId of accountIds) {
      const failure = this.enableFailures.get(accountId) ?? this.refusal(accountId);
      if (failure) {
        failedAccounts.push({ accountId, status: this.accountStatus(accountId), resourceStatus: this.resourceStatus(accountId), ...failure });
        continue;
      }
      const enabled = this.scanTypes.get(accountId) ?? new Set<InspectorScanType>();
      const changed = types.filter((t) => !enabled.has(t));
      changed.forEach((t) => enabled.add(t));
      this.scanTypes.set(accountId, enabled);
      accounts.push({ accountId, status: changed.length ? 'ENABLING' : 'ENABLED', resourceStatus: this.resourceStatus(accountId, changed) });
    }
    return { accounts, failedAccounts };
  }

  /** BatchGetAccountStatus: every State carries errorCode and errorMessage (required), empty when all is well. */
  accountStatuses(accountIds: string[]) {
    const accounts: object[] = [];
    const failedAccounts: object[] = [];
    const state = (status: string) => ({ status, errorCode: '', errorMessage: '' });
    for (const accountId of accountIds) {
      const failure = this.refusal(accountId);
      if (failure) {
        failedAccounts.push({ accountId, ...failure });
        continue;
      }
      const resourceState = Object.fromEntries(Object.entries(this.resourceStatus(accountId)).map(([k, s]) => [k, state(s)]));
      accounts.push({ accountId, state: state(this.accountStatus(accountId)), resourceState });
    }
    return { accounts, failedAccounts };
  }
}
