/** GuardDuty's member operations behind {@link MemberApi}: its reads (`reader.ts`) and the changes. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DescribeOrganizationConfigurationCommand,
  DisassociateMembersCommand,
  GetDetectorCommand,
  GuardDutyClient,
  InviteMembersCommand,
  MemberFeaturesConfiguration,
  UnprocessedAccount as GuardDutyUnprocessed,
  UpdateMemberDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import { AccountSettings, CreateResult, MemberApi, SettingsApi, UnprocessedAccount } from '../../engine';
import { MemberDeclaration } from '../../properties';
import { ClientFactory, errorName, Invitation, MemberService } from '../member-service';
import { GuardDutyMemberReads, GuardDutyPlanReads, guardDutyReader } from './reader';

/** GuardDuty's protection plans of its members: the reads, and UpdateMemberDetectors. */
class GuardDutyPlans extends GuardDutyPlanReads implements SettingsApi {
  /**
   * One request for the change: each feature it touches with its declared status (a change of
   * only an agent configuration still names Runtime Monitoring's status) and the configurations
   * that change.
   */
  async write(accountIds: string[], change: AccountSettings, declared: AccountSettings): Promise<UnprocessedAccount[]> {
    const features = new Map<string, MemberFeaturesConfiguration>();
    for (const key of Object.keys(change)) {
      const [name, config] = key.split('/');
      const feature = features.get(name)
        ?? { Name: name as MemberFeaturesConfiguration['Name'], Status: (declared[name] ?? change[name]) as MemberFeaturesConfiguration['Status'] };
      if (config) {
        feature.AdditionalConfiguration = [...(feature.AdditionalConfiguration ?? []), { Name: config as never, Status: change[key] as never }];
      }
      features.set(name, feature);
    }
    const command = new UpdateMemberDetectorsCommand({ DetectorId: this.detectorId, AccountIds: accountIds, Features: [...features.values()] });
    const out = await this.client.send(command);
    return unprocessed(out.UnprocessedAccounts);
  }
}

function unprocessed(list: GuardDutyUnprocessed[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Result ?? '' }));
}

export class GuardDutyMemberApi extends GuardDutyMemberReads implements MemberApi {
  readonly settings: SettingsApi;

  constructor(client: GuardDutyClient, detectorId: string, private readonly invitation: Invitation = {}) {
    super(client, detectorId);
    this.settings = new GuardDutyPlans(client, detectorId);
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
