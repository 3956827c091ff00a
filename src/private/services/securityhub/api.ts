/** Security Hub's member operations behind {@link MemberApi}, and how the handler finds the hub. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DescribeHubCommand,
  DisassociateMembersCommand,
  GetMembersCommand,
  InviteMembersCommand,
  Member,
  paginateListMembers,
  Result,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { SECURITY_HUB, HUB_ARN_PATTERN } from './definition';
import { canonicalStatus, SECURITY_HUB_STATUSES } from './statuses';
import { CreateResult, describeError, MemberApi, ReconcileError, UnprocessedAccount } from '../../engine';
import { LiveMember } from '../../planner';
import { MemberDeclaration } from '../../properties';
import { errorName, MemberService } from '../member-service';

/** ListMembers page maximum. */
const PAGE_SIZE = 50;

function unprocessed(list: Result[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.ProcessingResult ?? '' }));
}

function liveMember(m: Member): LiveMember {
  return { accountId: m.AccountId!, email: m.Email, status: canonicalStatus(m.MemberStatus) };
}

export class SecurityHubMemberApi implements MemberApi {
  readonly statuses = SECURITY_HUB_STATUSES;
  readonly pageSize = PAGE_SIZE;

  constructor(private readonly client: SecurityHubClient) {}

  async listMembers(): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    for await (const page of paginateListMembers({ client: this.client, pageSize: PAGE_SIZE }, { OnlyAssociated: false })) {
      members.push(...(page.Members ?? []).map(liveMember));
    }
    return members;
  }

  async getMembers(accountIds: string[]): Promise<LiveMember[]> {
    const out = await this.client.send(new GetMembersCommand({ AccountIds: accountIds }));
    return (out.Members ?? []).map(liveMember);
  }

  /** Security Hub's answer names unprocessed accounts only; the engine reads the others' state back. */
  async createMembers(members: MemberDeclaration[]): Promise<CreateResult> {
    const out = await this.client.send(new CreateMembersCommand({
      AccountDetails: members.map((m) => ({ AccountId: m.accountId, Email: m.email })),
    }));
    return { unprocessed: unprocessed(out.UnprocessedAccounts), members: [] };
  }

  async inviteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    return unprocessed((await this.client.send(new InviteMembersCommand({ AccountIds: accountIds }))).UnprocessedAccounts);
  }

  /** DisassociateMembers answers no per-account outcome: the engine's checks read live state. */
  async disassociateMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    await this.client.send(new DisassociateMembersCommand({ AccountIds: accountIds }));
    return [];
  }

  async deleteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    return unprocessed((await this.client.send(new DeleteMembersCommand({ AccountIds: accountIds }))).UnprocessedAccounts);
  }
}

/** Security Hub answers an account that has not enabled it with InvalidAccessException. */
const notEnabled = (err: unknown) => errorName(err) === 'InvalidAccessException';

export const securityHub: MemberService = {
  definition: SECURITY_HUB,
  statuses: SECURITY_HUB_STATUSES,
  async resolveTarget(_props, clients) {
    try {
      const hub = await clients(SecurityHubClient).send(new DescribeHubCommand({}));
      if (!hub.HubArn) {
        throw new ReconcileError('SecurityHub: DescribeHub answered no hub ARN');
      }
      return hub.HubArn;
    } catch (err) {
      if (notEnabled(err)) {
        throw new ReconcileError(`SecurityHub: Security Hub is not enabled in this account and region (${process.env.AWS_REGION ?? 'unknown region'}): ` +
          `DescribeHub answered "${describeError(err)}". Enable Security Hub in the administrator account, then deploy again.`);
      }
      throw err;
    }
  },
  isTarget: (physicalId) => HUB_ARN_PATTERN.test(physicalId),
  memberApi: (clients) => new SecurityHubMemberApi(clients(SecurityHubClient)),
  async targetGone(err, clients) {
    if (!notEnabled(err)) {
      return false;
    }
    try {
      await clients(SecurityHubClient).send(new DescribeHubCommand({}));
      return false;
    } catch (describeErr) {
      return notEnabled(describeErr);
    }
  },
};
