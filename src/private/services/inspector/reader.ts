/** Inspector's member reads and how the handler (and `plan`) name its target: no mutating operation. */
import { BatchGetAccountStatusCommand, GetMemberCommand, Inspector2Client, Member, paginateListMembers } from '@aws-sdk/client-inspector2';
import { INSPECTOR, INSPECTOR_TARGET } from './definition';
import { scanTypeSettings, scanTypesProblem, scanTypeStates } from './scan-types';
import { INSPECTOR_STATUSES } from './statuses';
import { AccountSettings, MemberOperation, ReconcileError, SettingsReads, UnprocessedAccount } from '../../engine';
import { LiveMember } from '../../planner';
import { errorName, MemberReader, MemberReads } from '../member-service';

/** ListMembers' page maximum. */
const PAGE_SIZE = 50;
/** Enable and BatchGetAccountStatus take up to 100 accounts. */
const STATUS_ACCOUNTS_PER_CALL = 100;
/** Records of accounts that are no longer associated: no member. */
const GONE = new Set(INSPECTOR_STATUSES.unassociated);

function liveMember(m: Member): LiveMember | undefined {
  const status = m.relationshipStatus ?? '';
  return GONE.has(status) ? undefined : { accountId: m.accountId!, status };
}

/** Inspector's scan types of its members, read with BatchGetAccountStatus. */
export class InspectorScanTypeReads implements SettingsReads {
  readonly noun = 'scan type';
  readonly readOperation = 'BatchGetAccountStatus';
  readonly writeOperation = 'Enable';
  readonly accountsPerCall = STATUS_ACCOUNTS_PER_CALL;
  readonly restorable = false;

  constructor(protected readonly client: Inspector2Client) {}

  settable(member: LiveMember): boolean {
    return member.status === 'ENABLED';
  }

  notYet(reason: string): boolean {
    return /not an associated member/i.test(reason);
  }

  /** Inspector answers per account (failedAccounts): a refused call concerns every account in it. */
  refusedPerAccount(): boolean {
    return false;
  }

  async read(accountIds: string[]): Promise<{ settings: Map<string, AccountSettings>; unprocessed: UnprocessedAccount[] }> {
    const out = await this.client.send(new BatchGetAccountStatusCommand({ accountIds }));
    const settings = new Map<string, AccountSettings>();
    for (const account of out.accounts ?? []) {
      settings.set(account.accountId!, scanTypeStates(account.resourceState as unknown as Record<string, { status?: string }>));
    }
    return { settings, unprocessed: (out.failedAccounts ?? []).map((f) => ({ accountId: f.accountId ?? '', reason: `${f.errorCode}: ${f.errorMessage}` })) };
  }
}

export class InspectorMemberReads implements MemberReads {
  readonly statuses = INSPECTOR_STATUSES;
  readonly pageSize = PAGE_SIZE;
  readonly perAccount: readonly (MemberOperation | 'GetMembers')[] = ['CreateMembers', 'DisassociateMembers', 'GetMembers'];
  readonly asynchronous = true;
  readonly settings: SettingsReads;

  constructor(protected readonly client: Inspector2Client) {
    this.settings = new InspectorScanTypeReads(client);
  }

  async listMembers(): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    for await (const page of paginateListMembers({ client: this.client, pageSize: PAGE_SIZE }, { onlyAssociated: false })) {
      for (const m of page.members ?? []) {
        const member = liveMember(m);
        if (member) members.push(member);
      }
    }
    return members;
  }

  /**
   * GetMember, one account a call. Not found is no member; so is access denied, which is
   * Inspector's answer for an account outside the organization (a role without the right fails
   * ListMembers and the member calls alike, with their own reasons).
   */
  async getMembers(accountIds: string[]): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    for (const accountId of accountIds) {
      try {
        const found = (await this.client.send(new GetMemberCommand({ accountId }))).member;
        const member = found && liveMember(found);
        if (member) members.push(member);
      } catch (err) {
        if (errorName(err) !== 'ResourceNotFoundException' && !notInOrganization(err)) throw err;
      }
    }
    return members;
  }
}

/**
 * GetMember's answer for an account outside the organization: no member. Any other access
 * denial (an SCP, a missing grant) is an error, never taken for absence.
 */
function notInOrganization(err: unknown): boolean {
  return errorName(err) === 'AccessDeniedException' && /does not have access to get member account/i.test((err as Error).message ?? '');
}

/** `inspector2:<region>`: the region the handler's (or `plan`'s) clients call. */
export async function inspectorTarget(client: Inspector2Client): Promise<string> {
  return `inspector2:${await client.config.region()}`;
}

export const inspectorReader: MemberReader = {
  definition: INSPECTOR,
  statuses: INSPECTOR_STATUSES,
  resolveTarget: (_props, clients) => inspectorTarget(clients(Inspector2Client)),
  isTarget: (physicalId) => INSPECTOR_TARGET.test(physicalId),
  memberReads: (clients) => new InspectorMemberReads(clients(Inspector2Client)),
  readSettings: (props, strict) => {
    const value = props.ScanTypes;
    if (value === undefined) return undefined;
    const problem = scanTypesProblem(value);
    if (problem && strict) throw new ReconcileError(problem);
    return scanTypeSettings(value);
  },
};
