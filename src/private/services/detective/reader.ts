/** Detective's member reads and how the handler (and `plan`) find its graph: no mutating operation. */
import { DetectiveClient, GetMembersCommand, MemberDetail, paginateListGraphs, paginateListMembers } from '@aws-sdk/client-detective';
import { LiveMember } from '../../planner';
import { givenOrDiscovered, MemberReader, MemberReads } from '../member-service';
import { DETECTIVE, GRAPH_ARN_PATTERN } from './definition';
import { DETECTIVE_STATUSES } from './statuses';

/** ListMembers and ListGraphs page maximum. */
const PAGE_SIZE = 200;

export function liveMember(m: MemberDetail): LiveMember {
  return { accountId: m.AccountId!, email: m.EmailAddress, status: m.Status ?? '', disabledReason: m.DisabledReason };
}

export class DetectiveMemberReads implements MemberReads {
  readonly statuses = DETECTIVE_STATUSES;
  readonly pageSize = PAGE_SIZE;

  constructor(protected readonly client: DetectiveClient, protected readonly graphArn: string) {}

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
}

/** The region's behavior graphs (at most one per administrator and region). */
export async function findGraphArns(client: DetectiveClient): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListGraphs({ client, pageSize: PAGE_SIZE }, {})) {
    arns.push(...(page.GraphList ?? []).map((g) => g.Arn!).filter(Boolean));
  }
  return arns;
}

export const detectiveReader: MemberReader = {
  definition: DETECTIVE,
  statuses: DETECTIVE_STATUSES,
  resolveTarget: (props, clients) => givenOrDiscovered(DETECTIVE, props.GraphArn,
    { valid: (arn) => GRAPH_ARN_PATTERN.test(arn), what: 'a behavior graph ARN' },
    { operation: 'ListGraphs', list: () => findGraphArns(clients(DetectiveClient)) }),
  isTarget: (physicalId) => GRAPH_ARN_PATTERN.test(physicalId),
  memberReads: (clients, graphArn) => new DetectiveMemberReads(clients(DetectiveClient), graphArn),
};
