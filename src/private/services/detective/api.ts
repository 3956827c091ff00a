/** Detective's member operations behind {@link MemberApi}: its reads (`reader.ts`) and the changes. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DetectiveClient,
  UnprocessedAccount as DetectiveUnprocessed,
} from '@aws-sdk/client-detective';
import { CreateResult, MemberApi, UnprocessedAccount } from '../../engine';
import { MemberDeclaration } from '../../properties';
import { errorName, Invitation, MemberService } from '../member-service';
import { DetectiveMemberReads, detectiveReader, liveMember } from './reader';

function unprocessed(list: DetectiveUnprocessed[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Reason ?? '' }));
}

export class DetectiveMemberApi extends DetectiveMemberReads implements MemberApi {
  constructor(client: DetectiveClient, graphArn: string, private readonly invitation: Invitation = {}) {
    super(client, graphArn);
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

export const detective: MemberService = {
  ...detectiveReader,
  memberApi: (clients, graphArn, invitation) => new DetectiveMemberApi(clients(DetectiveClient), graphArn, invitation),
  // Detective answers a missing graph with its own exception.
  targetGone: async (err) => errorName(err) === 'ResourceNotFoundException',
};
