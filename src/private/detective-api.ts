/** Detective's member operations behind {@link MemberApi}. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DetectiveClient,
  GetMembersCommand,
  MemberDetail,
  paginateListGraphs,
  paginateListMembers,
  UnprocessedAccount as DetectiveUnprocessed,
} from '@aws-sdk/client-detective';
import { MemberApi, UnprocessedAccount } from './engine';
import { DETECTIVE_STATUSES, LiveMember } from './planner';
import { MemberDeclaration } from './properties';

/** ListMembers and ListGraphs page maximum. */
const PAGE_SIZE = 200;

export interface DetectiveInvitation {
  readonly message?: string;
  readonly disableEmailNotification?: boolean;
}

function unprocessed(list: DetectiveUnprocessed[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Reason ?? '' }));
}

function liveMember(m: MemberDetail): LiveMember {
  return { accountId: m.AccountId!, email: m.EmailAddress, status: m.Status ?? '' };
}

export class DetectiveMemberApi implements MemberApi {
  readonly statuses = DETECTIVE_STATUSES;

  constructor(
    private readonly client: DetectiveClient,
    private readonly graphArn: string,
    private readonly invitation: DetectiveInvitation = {},
  ) {}

  async listMembers(): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    for await (const page of paginateListMembers({ client: this.client, pageSize: PAGE_SIZE }, { GraphArn: this.graphArn })) {
      members.push(...(page.MemberDetails ?? []).map(liveMember));
    }
    return members;
  }

  async getMembers(accountIds: string[]): Promise<LiveMember[]> {
    const out = await this.client.send(new GetMembersCommand({ GraphArn: this.graphArn, AccountIds: accountIds }));
    return (out.MemberDetails ?? []).map(liveMember);
  }

  /** Detective's CreateMembers sends the invitations itself (and enables organization accounts). */
  async createMembers(members: MemberDeclaration[]): Promise<UnprocessedAccount[]> {
    const out = await this.client.send(new CreateMembersCommand({
      GraphArn: this.graphArn,
      Accounts: members.map((m) => ({ AccountId: m.accountId, EmailAddress: m.email })),
      Message: this.invitation.message,
      DisableEmailNotification: this.invitation.disableEmailNotification,
    }));
    return unprocessed(out.UnprocessedAccounts);
  }

  async inviteMembers(): Promise<UnprocessedAccount[]> {
    throw new Error('Detective has no InviteMembers: CreateMembers invites');
  }

  async disassociateMembers(): Promise<UnprocessedAccount[]> {
    throw new Error('Detective has no DisassociateMembers: DeleteMembers removes');
  }

  async deleteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    const out = await this.client.send(new DeleteMembersCommand({ GraphArn: this.graphArn, AccountIds: accountIds }));
    return unprocessed(out.UnprocessedAccounts);
  }
}

/** The region's behavior graphs (at most one per administrator and region). */
export async function findGraphArns(client: DetectiveClient): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListGraphs({ client, pageSize: PAGE_SIZE }, {})) {
    arns.push(...(page.GraphList ?? []).map((g) => g.Arn!).filter(Boolean));
  }
  return arns;
}
