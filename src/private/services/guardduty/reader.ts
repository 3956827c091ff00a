/** GuardDuty's member reads and how the handler (and `plan`) find its detector: no mutating operation. */
import { GetMembersCommand, GuardDutyClient, paginateListDetectors, paginateListMembers } from '@aws-sdk/client-guardduty';
import { LiveMember } from '../../planner';
import { givenOrDiscovered, MemberReader, MemberReads } from '../member-service';
import { GUARDDUTY } from './definition';
import { GUARDDUTY_STATUSES } from './statuses';

/** ListMembers and ListDetectors page maximum. */
const PAGE_SIZE = 50;

export class GuardDutyMemberReads implements MemberReads {
  readonly statuses = GUARDDUTY_STATUSES;
  readonly pageSize = PAGE_SIZE;

  constructor(protected readonly client: GuardDutyClient, protected readonly detectorId: string) {}

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
}

/** The region's detectors (there is at most one per account and region). */
export async function findDetectorIds(client: GuardDutyClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListDetectors({ client, pageSize: PAGE_SIZE }, {})) {
    ids.push(...(page.DetectorIds ?? []));
  }
  return ids;
}

export const guardDutyReader: MemberReader = {
  definition: GUARDDUTY,
  statuses: GUARDDUTY_STATUSES,
  resolveTarget: (props, clients) => givenOrDiscovered(GUARDDUTY, props.DetectorId,
    { valid: (id) => GUARDDUTY.checkTarget!(id, {}) === undefined, what: 'a detector ID' },
    { operation: 'ListDetectors', list: () => findDetectorIds(clients(GuardDutyClient)) }),
  // Detector IDs are lowercase letters and digits; a physical ID CloudFormation made up for a
  // create it never heard back from has the stack's name and hyphens in it.
  isTarget: (physicalId) => /^[0-9a-z]{1,300}$/.test(physicalId),
  memberReads: (clients, detectorId) => new GuardDutyMemberReads(clients(GuardDutyClient), detectorId),
};
