/** Macie's member reads and how the handler (and `plan`) name its target: no mutating operation. */
import { GetMemberCommand, Macie2Client, Member, paginateListMembers } from '@aws-sdk/client-macie2';
import { MACIE, MACIE_TARGET } from './definition';
import { MACIE_STATUSES } from './statuses';
import { MemberOperation } from '../../engine';
import { LiveMember } from '../../planner';
import { errorName, MemberReader, MemberReads } from '../member-service';

/** ListMembers' page maximum. */
const PAGE_SIZE = 50;

/** Accounts associated through Organizations read back without an email (null). */
function liveMember(m: Pick<Member, 'accountId' | 'email' | 'relationshipStatus'>): LiveMember {
  return { accountId: m.accountId!, email: m.email ?? undefined, status: m.relationshipStatus ?? '' };
}

export class MacieMemberReads implements MemberReads {
  readonly statuses = MACIE_STATUSES;
  readonly pageSize = PAGE_SIZE;
  readonly perAccount: readonly (MemberOperation | 'GetMembers')[] = ['CreateMembers', 'DisassociateMembers', 'DeleteMembers', 'GetMembers'];

  constructor(protected readonly client: Macie2Client) {}

  async listMembers(): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    // onlyAssociated is a string: 'false' lists every member, Created and Removed ones included.
    for await (const page of paginateListMembers({ client: this.client, pageSize: PAGE_SIZE }, { onlyAssociated: 'false' })) {
      members.push(...(page.members ?? []).map(liveMember));
    }
    return members;
  }

  /** GetMember, one account a call; not found is no member. */
  async getMembers(accountIds: string[]): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    for (const id of accountIds) {
      try {
        members.push(liveMember({ accountId: id, ...await this.client.send(new GetMemberCommand({ id })) }));
      } catch (err) {
        if (errorName(err) !== 'ResourceNotFoundException') throw err;
      }
    }
    return members;
  }
}

/** `macie2:<region>`: the region the handler's (or `plan`'s) clients call. */
export async function macieTarget(client: Macie2Client): Promise<string> {
  return `macie2:${await client.config.region()}`;
}

export const macieReader: MemberReader = {
  definition: MACIE,
  statuses: MACIE_STATUSES,
  resolveTarget: (_props, clients) => macieTarget(clients(Macie2Client)),
  isTarget: (physicalId) => MACIE_TARGET.test(physicalId),
  memberReads: (clients) => new MacieMemberReads(clients(Macie2Client)),
};
