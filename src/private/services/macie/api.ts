/** Macie's member operations behind {@link MemberApi}: its reads (`reader.ts`) and the changes. */
import {
  CreateInvitationsCommand,
  CreateMemberCommand,
  DeleteMemberCommand,
  DisassociateMemberCommand,
  Macie2Client,
} from '@aws-sdk/client-macie2';
import { MacieMemberReads, macieReader } from './reader';
import { CreateResult, MemberApi, UnprocessedAccount } from '../../engine';
import { MemberDeclaration } from '../../properties';
import { Invitation, MemberService } from '../member-service';

export class MacieMemberApi extends MacieMemberReads implements MemberApi {
  constructor(client: Macie2Client, private readonly invitation: Invitation = {}) {
    super(client);
  }

  /** CreateMember: one account a call; organization accounts become Enabled, others Created (the engine reads them back). */
  async createMembers(members: MemberDeclaration[]): Promise<CreateResult> {
    for (const member of members) {
      await this.client.send(new CreateMemberCommand({ account: { accountId: member.accountId, email: member.email } }));
    }
    return { unprocessed: [], members: [] };
  }

  /** CreateInvitations: up to 50 accounts; unprocessedAccounts carry errorCode and errorMessage. */
  async inviteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    const out = await this.client.send(new CreateInvitationsCommand({
      accountIds,
      message: this.invitation.message,
      disableEmailNotification: this.invitation.disableEmailNotification,
    }));
    return (out.unprocessedAccounts ?? []).map((u) => ({ accountId: u.accountId ?? '', reason: `${u.errorCode}: ${u.errorMessage}` }));
  }

  async disassociateMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    for (const id of accountIds) await this.client.send(new DisassociateMemberCommand({ id }));
    return [];
  }

  async deleteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    for (const id of accountIds) await this.client.send(new DeleteMemberCommand({ id }));
    return [];
  }
}

export const macie: MemberService = {
  ...macieReader,
  memberApi: (clients, _target, invitation) => new MacieMemberApi(clients(Macie2Client), invitation),
  // The target is the account's own Macie: nothing that can be gone while its stack lives.
  targetGone: async () => false,
};
