/** Security Hub's member operations behind {@link MemberApi}: its reads (`reader.ts`) and the changes. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DisassociateMembersCommand,
  InviteMembersCommand,
  Result,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { describeHub, notEnabled, SecurityHubMemberReads, securityHubReader } from './reader';
import { CreateResult, MemberApi, UnprocessedAccount } from '../../engine';
import { MemberDeclaration } from '../../properties';
import { MemberService } from '../member-service';

function unprocessed(list: Result[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.ProcessingResult ?? '' }));
}

export class SecurityHubMemberApi extends SecurityHubMemberReads implements MemberApi {
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

export const securityHub: MemberService = {
  ...securityHubReader,
  memberApi: (clients) => new SecurityHubMemberApi(clients(SecurityHubClient)),
  async targetGone(err, clients) {
    if (!notEnabled(err)) {
      return false;
    }
    try {
      await describeHub(clients);
      return false;
    } catch (describeErr) {
      return notEnabled(describeErr);
    }
  },
};
