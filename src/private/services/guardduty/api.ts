/** GuardDuty's member operations behind {@link MemberApi}: its reads (`reader.ts`) and the changes. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DescribeOrganizationConfigurationCommand,
  DisassociateMembersCommand,
  GetDetectorCommand,
  GuardDutyClient,
  InviteMembersCommand,
  UnprocessedAccount as GuardDutyUnprocessed,
} from '@aws-sdk/client-guardduty';
import { CreateResult, MemberApi, UnprocessedAccount } from '../../engine';
import { MemberDeclaration } from '../../properties';
import { ClientFactory, errorName, Invitation, MemberService } from '../member-service';
import { GuardDutyMemberReads, guardDutyReader } from './reader';

function unprocessed(list: GuardDutyUnprocessed[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Result ?? '' }));
}

export class GuardDutyMemberApi extends GuardDutyMemberReads implements MemberApi {
  constructor(client: GuardDutyClient, detectorId: string, private readonly invitation: Invitation = {}) {
    super(client, detectorId);
  }

  /** GuardDuty's answer names unprocessed accounts only; the engine reads the others' state back. */
  async createMembers(members: MemberDeclaration[]): Promise<CreateResult> {
    const out = await this.client.send(new CreateMembersCommand({
      DetectorId: this.detectorId,
      AccountDetails: members.map((m) => ({ AccountId: m.accountId, Email: m.email })),
    }));
    return { unprocessed: unprocessed(out.UnprocessedAccounts), members: [] };
  }

  async inviteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    const out = await this.client.send(new InviteMembersCommand({
      DetectorId: this.detectorId,
      AccountIds: accountIds,
      Message: this.invitation.message,
      DisableEmailNotification: this.invitation.disableEmailNotification,
    }));
    return unprocessed(out.UnprocessedAccounts);
  }

  async disassociateMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    const out = await this.client.send(new DisassociateMembersCommand({ DetectorId: this.detectorId, AccountIds: accountIds }));
    return unprocessed(out.UnprocessedAccounts);
  }

  async deleteMembers(accountIds: string[]): Promise<UnprocessedAccount[]> {
    const out = await this.client.send(new DeleteMembersCommand({ DetectorId: this.detectorId, AccountIds: accountIds }));
    return unprocessed(out.UnprocessedAccounts);
  }

  /**
   * DescribeOrganizationConfiguration answers only the organization's delegated administrator.
   * Any refusal or failure is taken as "not": created accounts are then read back, as always.
   */
  async organizationAdministrator(): Promise<boolean> {
    try {
      await this.client.send(new DescribeOrganizationConfigurationCommand({ DetectorId: this.detectorId, MaxResults: 1 }));
      return true;
    } catch {
      return false;
    }
  }
}

export const guardDuty: MemberService = {
  ...guardDutyReader,
  memberApi: (clients: ClientFactory, detectorId, invitation) => new GuardDutyMemberApi(clients(GuardDutyClient), detectorId, invitation),
  async targetGone(err, clients, detectorId) {
    // BadRequestException is GuardDuty's answer to any bad input, so ask the detector itself.
    if (errorName(err) !== 'BadRequestException') {
      return false;
    }
    try {
      await clients(GuardDutyClient).send(new GetDetectorCommand({ DetectorId: detectorId }));
      return false;
    } catch (getErr) {
      return errorName(getErr) === 'BadRequestException';
    }
  },
};
