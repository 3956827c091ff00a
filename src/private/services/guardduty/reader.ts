/** GuardDuty's member reads and how the handler (and `plan`) find its detector: no mutating operation. */
import { GetMemberDetectorsCommand, GetMembersCommand, GuardDutyClient, paginateListDetectors, paginateListMembers } from '@aws-sdk/client-guardduty';
import { AccountSettings, ReconcileError, SettingsReads, UnprocessedAccount } from '../../engine';
import { LiveMember } from '../../planner';
import { givenOrDiscovered, MemberReader, MemberReads } from '../member-service';
import { GUARDDUTY } from './definition';
import { PlanProblem, readPlans } from './plans';
import { GUARDDUTY_STATUSES } from './statuses';

/** ListMembers and ListDetectors page maximum. */
const PAGE_SIZE = 50;

/** "Not an associated member": an invited member that has not accepted, or an organization account while auto-enable rolls out. */
const NOT_ASSOCIATED = /not an associated member/i;

/** GuardDuty's protection plans of its members, read: GetMemberDetectors, flattened to `FEATURE` and `FEATURE/CONFIGURATION`. */
export class GuardDutyPlanReads implements SettingsReads {
  readonly noun = 'protection plan';
  readonly readOperation = 'GetMemberDetectors';
  readonly writeOperation = 'UpdateMemberDetectors';

  constructor(protected readonly client: GuardDutyClient, protected readonly detectorId: string) {}

  /** Only members associated with the detector take plans. */
  settable(member: LiveMember): boolean {
    return member.status.toLowerCase() === 'enabled';
  }

  notYet(reason: string): boolean {
    return NOT_ASSOCIATED.test(reason);
  }

  // GuardDuty answers a request naming one unfit account (not associated, a plan an
  // Organizations policy manages) with a BadRequestException for the whole call, or lists it
  // unprocessed: the first is split until it names its account.
  refusedPerAccount(reason: string): boolean {
    return reason.startsWith('BadRequestException') || NOT_ASSOCIATED.test(reason);
  }

  async read(accountIds: string[]): Promise<{ settings: Map<string, AccountSettings>; unprocessed: UnprocessedAccount[] }> {
    const out = await this.client.send(new GetMemberDetectorsCommand({ DetectorId: this.detectorId, AccountIds: accountIds }));
    const settings = new Map<string, AccountSettings>();
    for (const member of out.MemberDataSourceConfigurations ?? []) {
      const flat: Record<string, string> = {};
      for (const feature of member.Features ?? []) {
        if (!feature.Name || !feature.Status) continue;
        flat[feature.Name] = feature.Status;
        for (const config of feature.AdditionalConfiguration ?? []) {
          if (config.Name && config.Status) flat[`${feature.Name}/${config.Name}`] = config.Status;
        }
      }
      settings.set(member.AccountId!, flat);
    }
    return { settings, unprocessed: (out.UnprocessedAccounts ?? []).map((u) => ({ accountId: u.AccountId ?? '', reason: u.Result ?? '' })) };
  }
}

export class GuardDutyMemberReads implements MemberReads {
  readonly statuses = GUARDDUTY_STATUSES;
  readonly pageSize = PAGE_SIZE;
  readonly settings: SettingsReads;

  constructor(protected readonly client: GuardDutyClient, protected readonly detectorId: string) {
    this.settings = new GuardDutyPlanReads(client, detectorId);
  }

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
  readSettings: (props, strict) => {
    try {
      return readPlans(props.ProtectionPlans, strict);
    } catch (err) {
      throw err instanceof PlanProblem ? new ReconcileError(err.message) : err;
    }
  },
};
