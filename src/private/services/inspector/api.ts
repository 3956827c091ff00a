/** Inspector's member operations behind {@link MemberApi}: its reads (`reader.ts`) and the changes, one account a call. */
import { AssociateMemberCommand, DisassociateMemberCommand, EnableCommand, Inspector2Client, ResourceScanType } from '@aws-sdk/client-inspector2';
import { InspectorMemberReads, inspectorReader, InspectorScanTypeReads } from './reader';
import { AccountSettings, CreateResult, MemberApi, SettingsApi, UnprocessedAccount } from '../../engine';
import { MemberDeclaration } from '../../properties';
import { MemberService } from '../member-service';

/** Enable: the scan types that differ, for every account of the call (up to 100); failedAccounts are that account's. */
class InspectorScanTypes extends InspectorScanTypeReads implements SettingsApi {
  async write(accountIds: string[], change: AccountSettings): Promise<UnprocessedAccount[]> {
    const resourceTypes = Object.keys(change).filter((type) => change[type] === 'ENABLED') as ResourceScanType[];
    if (resourceTypes.length === 0) return [];
    const out = await this.client.send(new EnableCommand({ accountIds, resourceTypes }));
    return (out.failedAccounts ?? []).map((f) => ({ accountId: f.accountId ?? '', reason: `${f.errorCode}: ${f.errorMessage}` }));
  }
}

export class InspectorMemberApi extends InspectorMemberReads implements MemberApi {
  readonly settings: SettingsApi;

  constructor(client: Inspector2Client) {
    super(client);
    this.settings = new InspectorScanTypes(client);
  }

  /** AssociateMember: one account; success means the association started (the engine awaits its end). */
  async createMembers(members: MemberDeclaration[]): Promise<CreateResult> {
    for (const member of members) await this.client.send(new AssociateMemberCommand({ accountId: member.accountId }));
    return { unprocessed: [], members: [] };
  }

  async inviteMembers(): Promise<UnprocessedAccount[]> {
    throw new Error('Inspector has no invitations: AssociateMember adds organization accounts');
  }

  /** DisassociateMember: one account; success means the disassociation started. */
  async disassociateMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    for (const accountId of accountIds) await this.client.send(new DisassociateMemberCommand({ accountId }));
    return [];
  }

  async deleteMembers(): Promise<UnprocessedAccount[]> {
    throw new Error('Inspector has no DeleteMember: DisassociateMember removes');
  }
}

export const inspector: MemberService = {
  ...inspectorReader,
  memberApi: (clients) => new InspectorMemberApi(clients(Inspector2Client)),
  // The target is the account's own Inspector: nothing that can be gone while its stack lives.
  targetGone: async () => false,
};
