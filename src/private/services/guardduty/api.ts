/** GuardDuty's member operations behind {@link MemberApi}, and how the handler finds its detector. */
import {
  CreateMembersCommand,
  DeleteMembersCommand,
  DisassociateMembersCommand,
  GetDetectorCommand,
  GetMembersCommand,
  GuardDutyClient,
  InviteMembersCommand,
  paginateListDetectors,
  paginateListMembers,
  UnprocessedAccount as GuardDutyUnprocessed,
} from '@aws-sdk/client-guardduty';
import { CreateResult, MemberApi, ReconcileError, UnprocessedAccount } from '../../engine';
import { LiveMember } from '../../planner';
import { MemberDeclaration } from '../../properties';
import { ClientFactory, discoverOne, errorName, Invitation, MemberService } from '../member-service';
import { GUARDDUTY } from './definition';
import { GUARDDUTY_STATUSES } from './statuses';

/** ListMembers and ListDetectors page maximum. */
const PAGE_SIZE = 50;

function unprocessed(list: GuardDutyUnprocessed[] | undefined): UnprocessedAccount[] {
  return (list ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Result ?? '' }));
}

export class GuardDutyMemberApi implements MemberApi {
  readonly statuses = GUARDDUTY_STATUSES;
  readonly pageSize = PAGE_SIZE;

  constructor(
    private readonly client: GuardDutyClient,
    private readonly detectorId: string,
    private readonly invitation: Invitation = {},
  ) {}

  async listMembers(): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    const pages = paginateListMembers(
      { client: this.client, pageSize: PAGE_SIZE },
      { DetectorId: this.detectorId, OnlyAssociated: 'false' },
    );
    for await (const page of pages) {
      for (const m of page.Members ?? []) {
        members.push({ accountId: m.AccountId!, email: m.Email, status: m.RelationshipStatus ?? '' });
      }
    }
    return members;
  }

  async getMembers(accountIds: string[]): Promise<LiveMember[]> {
    const out = await this.client.send(new GetMembersCommand({ DetectorId: this.detectorId, AccountIds: accountIds }));
    return (out.Members ?? []).map((m) => ({ accountId: m.AccountId!, email: m.Email, status: m.RelationshipStatus ?? '' }));
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
}

/** The region's detectors (there is at most one per account and region). */
export async function findDetectorIds(client: GuardDutyClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListDetectors({ client, pageSize: PAGE_SIZE }, {})) {
    ids.push(...(page.DetectorIds ?? []));
  }
  return ids;
}

export const guardDuty: MemberService = {
  definition: GUARDDUTY,
  statuses: GUARDDUTY_STATUSES,
  async resolveTarget(props, clients) {
    const detectorId = props.DetectorId;
    if (detectorId) {
      if (GUARDDUTY.checkTarget!(detectorId, {}) !== undefined) {
        throw new ReconcileError(`DetectorId: '${detectorId}' is not a detector ID`);
      }
      return detectorId;
    }
    return discoverOne(GUARDDUTY, 'ListDetectors', () => findDetectorIds(clients(GuardDutyClient)));
  },
  // Detector IDs are lowercase letters and digits; a physical ID CloudFormation made up for a
  // create it never heard back from has the stack's name and hyphens in it.
  isTarget: (physicalId) => /^[0-9a-z]{1,300}$/.test(physicalId),
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
