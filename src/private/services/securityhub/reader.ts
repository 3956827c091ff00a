/** Security Hub's member reads and how the handler (and `plan`) find the hub: no mutating operation. */
import { DescribeHubCommand, GetMembersCommand, Member, paginateListMembers, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SECURITY_HUB, HUB_ARN_PATTERN } from './definition';
import { canonicalStatus, SECURITY_HUB_STATUSES } from './statuses';
import { describeError, ReconcileError } from '../../engine';
import { LiveMember } from '../../planner';
import { ClientFactory, errorName, MemberReader, MemberReads } from '../member-service';

/** ListMembers page maximum. */
const PAGE_SIZE = 50;

function liveMember(m: Member): LiveMember {
  return { accountId: m.AccountId!, email: m.Email, status: canonicalStatus(m.MemberStatus) };
}

export class SecurityHubMemberReads implements MemberReads {
  readonly statuses = SECURITY_HUB_STATUSES;
  readonly pageSize = PAGE_SIZE;

  constructor(protected readonly client: SecurityHubClient) {}

  async listMembers(): Promise<LiveMember[]> {
    const members: LiveMember[] = [];
    for await (const page of paginateListMembers({ client: this.client, pageSize: PAGE_SIZE }, { OnlyAssociated: false })) {
      members.push(...(page.Members ?? []).map(liveMember));
    }
    return members;
  }

  async getMembers(accountIds: string[]): Promise<LiveMember[]> {
    const out = await this.client.send(new GetMembersCommand({ AccountIds: accountIds }));
    return (out.Members ?? []).map(liveMember);
  }
}

/** Security Hub answers an account that has not enabled it with InvalidAccessException. */
export const notEnabled = (err: unknown) => errorName(err) === 'InvalidAccessException';

/** The hub of the caller's account and region, read with DescribeHub (which fails when Security Hub is off). */
export async function describeHub(clients: ClientFactory): Promise<string> {
  const hub = await clients(SecurityHubClient).send(new DescribeHubCommand({}));
  if (!hub.HubArn) {
    throw new ReconcileError('SecurityHub: DescribeHub answered no hub ARN');
  }
  return hub.HubArn;
}

export const securityHubReader: MemberReader = {
  definition: SECURITY_HUB,
  statuses: SECURITY_HUB_STATUSES,
  async resolveTarget(_props, clients) {
    try {
      return await describeHub(clients);
    } catch (err) {
      if (notEnabled(err)) {
        throw new ReconcileError(`SecurityHub: Security Hub is not enabled in this account and region (${process.env.AWS_REGION ?? 'unknown region'}): ` +
          `DescribeHub answered "${describeError(err)}". Enable Security Hub in the administrator account, then deploy again.`);
      }
      throw err;
    }
  },
  isTarget: (physicalId) => HUB_ARN_PATTERN.test(physicalId),
  memberReads: (clients) => new SecurityHubMemberReads(clients(SecurityHubClient)),
};
