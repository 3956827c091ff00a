/** Detective's member operations behind {@link MemberApi}, and how the handler finds its graph. */
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
import { CreateResult, MemberApi, ReconcileError, UnprocessedAccount } from '../../engine';
import { LiveMember } from '../../planner';
import { MemberDeclaration } from '../../properties';
import { discoverOne, errorName, Invitation, MemberService } from '../member-service';
import { DETECTIVE, GRAPH_ARN_PATTERN } from './definition';
import { DETECTIVE_STATUSES } from './statuses';

/** ListMembers and ListGraphs page maximum. */
const PAGE_SIZE = 200;

function unprocessed(list: DetectiveUnprocessed[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Reason ?? '' }));
}

function liveMember(m: MemberDetail): LiveMember {
  return { accountId: m.AccountId!, email: m.EmailAddress, status: m.Status ?? '', disabledReason: m.DisabledReason };
}

export class DetectiveMemberApi implements MemberApi {
  readonly statuses = DETECTIVE_STATUSES;
  readonly pageSize = PAGE_SIZE;

  constructor(
    private readonly client: DetectiveClient,
    private readonly graphArn: string,
    private readonly invitation: Invitation = {},
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

  /**
   * Detective's CreateMembers sends the invitations itself (and enables organization accounts);
   * its `Members` carry each processed account's state, which may be a failure.
   */
  async createMembers(members: MemberDeclaration[]): Promise<CreateResult> {
    const out = await this.client.send(new CreateMembersCommand({
      GraphArn: this.graphArn,
      Accounts: members.map((m) => ({ AccountId: m.accountId, EmailAddress: m.email })),
      Message: this.invitation.message,
      DisableEmailNotification: this.invitation.disableEmailNotification,
    }));
    return { unprocessed: unprocessed(out.UnprocessedAccounts), members: (out.Members ?? []).map(liveMember) };
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

export const detective: MemberService = {
  definition: DETECTIVE,
  statuses: DETECTIVE_STATUSES,
  async resolveTarget(props, clients) {
    const graphArn = props.GraphArn;
    if (graphArn) {
      if (!GRAPH_ARN_PATTERN.test(graphArn)) {
        throw new ReconcileError(`GraphArn: '${graphArn}' is not a behavior graph ARN`);
      }
      return graphArn;
    }
    return discoverOne(DETECTIVE, 'ListGraphs', () => findGraphArns(clients(DetectiveClient)));
  },
  isTarget: (physicalId) => GRAPH_ARN_PATTERN.test(physicalId),
  memberApi: (clients, graphArn, invitation) => new DetectiveMemberApi(clients(DetectiveClient), graphArn, invitation),
  // Detective answers a missing graph with its own exception.
  targetGone: async (err) => errorName(err) === 'ResourceNotFoundException',
};
