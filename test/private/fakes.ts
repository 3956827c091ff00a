/**
 * Small stateful stand-ins for GuardDuty and Detective behind aws-sdk-client-mock, so handler
 * tests can run whole create / update / delete / rollback sequences and inspect every call.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import * as detective from '@aws-sdk/client-detective';
import * as guardduty from '@aws-sdk/client-guardduty';
import * as securityhub from '@aws-sdk/client-securityhub';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { ClientFactory } from '../../src/private/services/member-service';

export interface Call {
  readonly operation: string;
  readonly accounts: string[];
}

interface FakeMember {
  accountId: string;
  email: string;
  status: string;
}

abstract class FakeService {
  readonly members = new Map<string, FakeMember>();
  readonly calls: Call[] = [];
  /** Accounts that belong to another administrator: CreateMembers leaves them unprocessed. */
  readonly boundElsewhere = new Map<string, string>();
  /** Organization accounts: enabled by CreateMembers, never invited. */
  readonly organization = new Set<string>();
  /** Errors thrown by the next calls of an operation, in order. */
  readonly failures = new Map<string, Error[]>();
  /** Operations whose effect is applied but whose answer reports every account unprocessed (a retried call after a lost response). */
  readonly reportAppliedAsUnprocessed = new Set<string>();
  /** Accounts' root emails: an invitation to another address fails verification. */
  readonly rootEmails = new Map<string, string>();
  /** Invitations sent to organization accounts (there must be none). */
  readonly invitesToOrganization: string[] = [];

  /** Whether an invitation to `email` fails verification for this account. */
  protected wrongRootEmail(accountId: string, email: string): boolean {
    const root = this.rootEmails.get(accountId);
    return root !== undefined && root.toLowerCase() !== email.toLowerCase();
  }

  protected record(operation: string, accounts: string[]) {
    this.calls.push({ operation, accounts });
    const queued = this.failures.get(operation);
    if (queued && queued.length > 0) {
      throw queued.shift();
    }
  }

  failNext(operation: string, ...errors: Error[]) {
    this.failures.set(operation, [...(this.failures.get(operation) ?? []), ...errors]);
  }

  callsOf(operation: string): Call[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** Operation names in order, with repeats collapsed. */
  sequence(): string[] {
    return this.calls.map((c) => c.operation).filter((op, i, all) => i === 0 || all[i - 1] !== op);
  }

  state(): Record<string, string> {
    return Object.fromEntries([...this.members.values()].sort((a, b) => a.accountId.localeCompare(b.accountId)).map((m) => [m.accountId, m.status]));
  }

  add(accountId: string, status: string, email = `${accountId}@example.com`) {
    this.members.set(accountId, { accountId, email, status });
  }
}

export function serviceError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export class FakeGuardDuty extends FakeService {
  detectorIds = ['d0123456789abcdef0123456789abcdef'];
  /** Organization accounts with auto-enable ALL: disassociation is refused. */
  readonly autoEnableAll = new Set<string>();
  readonly mock: AwsClientStub<guardduty.GuardDutyClient>;

  constructor() {
    super();
    this.mock = mockClient(guardduty.GuardDutyClient);
    const m = this.mock;
    m.on(guardduty.ListDetectorsCommand).callsFake(() => {
      this.record('ListDetectors', []);
      return { DetectorIds: this.detectorIds };
    });
    m.on(guardduty.GetDetectorCommand).callsFake((input: guardduty.GetDetectorCommandInput) => {
      this.record('GetDetector', []);
      this.checkDetector(input.DetectorId);
      return { Status: 'ENABLED', ServiceRole: 'arn:aws:iam::999999999999:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty' };
    });
    m.on(guardduty.ListMembersCommand).callsFake((input: guardduty.ListMembersCommandInput) => {
      this.checkDetector(input.DetectorId);
      this.record('ListMembers', []);
      if (input.OnlyAssociated !== 'false') {
        throw new Error('the handler must list every member (OnlyAssociated=false)');
      }
      const all = [...this.members.values()];
      const start = Number(input.NextToken ?? 0);
      const size = input.MaxResults ?? 50;
      const page = all.slice(start, start + size);
      return {
        Members: page.map((x) => this.wire(x)),
        NextToken: start + size < all.length ? String(start + size) : undefined,
      };
    });
    m.on(guardduty.GetMembersCommand).callsFake((input: guardduty.GetMembersCommandInput) => {
      this.checkDetector(input.DetectorId);
      this.record('GetMembers', input.AccountIds!);
      const ids = this.checkBatch(input.AccountIds);
      return {
        Members: ids.filter((id) => this.members.has(id)).map((id) => this.wire(this.members.get(id)!)),
        UnprocessedAccounts: ids.filter((id) => !this.members.has(id)).map((id) => ({ AccountId: id, Result: 'not a member' })),
      };
    });
    m.on(guardduty.CreateMembersCommand).callsFake((input: guardduty.CreateMembersCommandInput) => {
      this.checkDetector(input.DetectorId);
      const details = input.AccountDetails ?? [];
      this.record('CreateMembers', details.map((d) => d.AccountId!));
      this.checkBatch(details.map((d) => d.AccountId!));
      const unprocessed: guardduty.UnprocessedAccount[] = [];
      for (const d of details) {
        const id = d.AccountId!;
        const existing = this.members.get(id);
        if (this.boundElsewhere.has(id)) {
          unprocessed.push({ AccountId: id, Result: this.boundElsewhere.get(id) });
        } else if (existing && !(this.organization.has(id) && existing.status === 'Removed')) {
          unprocessed.push({ AccountId: id, Result: 'The request is rejected because the given account ID is already a member or associated member of the current account.' });
        } else {
          this.add(id, this.organization.has(id) ? 'Enabled' : 'Created', d.Email!);
          if (this.reportAppliedAsUnprocessed.has('CreateMembers')) {
            unprocessed.push({ AccountId: id, Result: 'The request is rejected because the given account ID is already a member or associated member of the current account.' });
          }
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
    m.on(guardduty.InviteMembersCommand).callsFake((input: guardduty.InviteMembersCommandInput) => {
      this.checkDetector(input.DetectorId);
      this.record('InviteMembers', input.AccountIds!);
      const unprocessed: guardduty.UnprocessedAccount[] = [];
      for (const id of this.checkBatch(input.AccountIds)) {
        const member = this.members.get(id);
        if (this.organization.has(id)) {
          this.invitesToOrganization.push(id);
        }
        if (!member) {
          unprocessed.push({ AccountId: id, Result: 'not a member' });
        } else if (member.status === 'Invited' || member.status === 'Enabled') {
          unprocessed.push({ AccountId: id, Result: 'The request is rejected because the current account has already invited or is already the GuardDuty master of the given member account ID.' });
        } else if (this.organization.has(id)) {
          unprocessed.push({ AccountId: id, Result: 'organization accounts cannot be invited' });
        } else {
          member.status = this.wrongRootEmail(id, member.email) ? 'EmailVerificationFailed' : 'Invited';
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
    m.on(guardduty.DisassociateMembersCommand).callsFake((input: guardduty.DisassociateMembersCommandInput) => {
      this.checkDetector(input.DetectorId);
      this.record('DisassociateMembers', input.AccountIds!);
      const unprocessed: guardduty.UnprocessedAccount[] = [];
      for (const id of this.checkBatch(input.AccountIds)) {
        const member = this.members.get(id);
        if (!member) {
          unprocessed.push({ AccountId: id, Result: 'not a member' });
        } else if (this.autoEnableAll.has(id)) {
          unprocessed.push({ AccountId: id, Result: 'The request is rejected because the organization has auto-enable set to ALL.' });
        } else if (member.status !== 'Created') {
          member.status = 'Removed';
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
    m.on(guardduty.DeleteMembersCommand).callsFake((input: guardduty.DeleteMembersCommandInput) => {
      this.checkDetector(input.DetectorId);
      this.record('DeleteMembers', input.AccountIds!);
      const unprocessed: guardduty.UnprocessedAccount[] = [];
      for (const id of this.checkBatch(input.AccountIds)) {
        const member = this.members.get(id);
        if (!member) {
          unprocessed.push({ AccountId: id, Result: 'not a member' });
        } else if (member.status === 'Enabled' || member.status === 'Invited') {
          unprocessed.push({ AccountId: id, Result: 'The request is rejected because the current account cannot delete the specified member account ID because it is still associated with it.' });
        } else {
          this.members.delete(id);
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
  }

  private wire(x: FakeMember): guardduty.Member {
    return { AccountId: x.accountId, Email: x.email, RelationshipStatus: x.status, MasterId: '999999999999', UpdatedAt: 'now' };
  }

  private checkDetector(detectorId: string | undefined) {
    if (!this.detectorIds.includes(detectorId ?? '')) {
      throw serviceError('BadRequestException', 'The request is rejected because the input detectorId is not owned by the current account.');
    }
  }

  private checkBatch(ids: string[] | undefined): string[] {
    if (!ids || ids.length < 1 || ids.length > 50) {
      throw serviceError('BadRequestException', `accountIds must hold 1 to 50 items, got ${ids?.length}`);
    }
    return ids;
  }
}

export const GRAPH_ARN = 'arn:aws:detective:us-east-1:999999999999:graph:0123456789abcdef0123456789abcdef';

export class FakeDetective extends FakeService {
  graphArns = [GRAPH_ARN];
  /** Organization accounts enabled but not contributing, with Detective's DisabledReason. */
  readonly disabledReason = new Map<string, detective.MemberDisabledReason>();
  readonly mock: AwsClientStub<detective.DetectiveClient>;

  constructor() {
    super();
    this.mock = mockClient(detective.DetectiveClient);
    const m = this.mock;
    m.on(detective.ListGraphsCommand).callsFake(() => {
      this.record('ListGraphs', []);
      return { GraphList: this.graphArns.map((Arn) => ({ Arn })) };
    });
    m.on(detective.ListMembersCommand).callsFake((input: detective.ListMembersCommandInput) => {
      this.checkGraph(input.GraphArn);
      this.record('ListMembers', []);
      const all = [...this.members.values()];
      const start = Number(input.NextToken ?? 0);
      const size = input.MaxResults ?? 100;
      return {
        MemberDetails: all.slice(start, start + size).map((x) => this.wire(x)),
        NextToken: start + size < all.length ? String(start + size) : undefined,
      };
    });
    m.on(detective.GetMembersCommand).callsFake((input: detective.GetMembersCommandInput) => {
      this.checkGraph(input.GraphArn);
      this.record('GetMembers', input.AccountIds!);
      const ids = this.checkBatch(input.AccountIds);
      return {
        MemberDetails: ids.filter((id) => this.members.has(id)).map((id) => this.wire(this.members.get(id)!)),
        UnprocessedAccounts: ids.filter((id) => !this.members.has(id)).map((id) => ({ AccountId: id, Reason: 'not a member' })),
      };
    });
    m.on(detective.CreateMembersCommand).callsFake((input: detective.CreateMembersCommandInput) => {
      this.checkGraph(input.GraphArn);
      const accounts = input.Accounts ?? [];
      this.record('CreateMembers', accounts.map((a) => a.AccountId!));
      this.checkBatch(accounts.map((a) => a.AccountId!));
      const fresh = accounts.filter((a) => !this.members.has(a.AccountId!) && !this.boundElsewhere.has(a.AccountId!));
      if (this.members.size + fresh.length > 1200) {
        throw serviceError('ServiceQuotaExceededException', 'This request cannot be completed because it would exceed the member account quota');
      }
      const unprocessed: detective.UnprocessedAccount[] = [];
      const created: detective.MemberDetail[] = [];
      for (const a of accounts) {
        const id = a.AccountId!;
        if (this.boundElsewhere.has(id)) {
          unprocessed.push({ AccountId: id, Reason: this.boundElsewhere.get(id) });
        } else if (this.members.has(id)) {
          unprocessed.push({ AccountId: id, Reason: 'Account is already a member' });
        } else {
          this.add(id, this.createdStatus(id, a.EmailAddress!), a.EmailAddress!);
          created.push(this.wire(this.members.get(id)!));
          if (this.reportAppliedAsUnprocessed.has('CreateMembers')) {
            unprocessed.push({ AccountId: id, Reason: 'Account is already a member' });
          }
        }
      }
      // As the service does: processed accounts come back in Members, whatever their state.
      return { Members: created, UnprocessedAccounts: unprocessed };
    });
    m.on(detective.DeleteMembersCommand).callsFake((input: detective.DeleteMembersCommandInput) => {
      this.checkGraph(input.GraphArn);
      this.record('DeleteMembers', input.AccountIds!);
      const removed: string[] = [];
      const unprocessed: detective.UnprocessedAccount[] = [];
      for (const id of this.checkBatch(input.AccountIds)) {
        if (this.members.delete(id)) {
          removed.push(id);
        } else {
          unprocessed.push({ AccountId: id, Reason: 'not a member' });
        }
      }
      return { AccountIds: removed, UnprocessedAccounts: unprocessed };
    });
  }

  private createdStatus(id: string, email: string): string {
    if (this.organization.has(id)) {
      return this.disabledReason.has(id) ? 'ACCEPTED_BUT_DISABLED' : 'ENABLED';
    }
    return this.wrongRootEmail(id, email) ? 'VERIFICATION_FAILED' : 'INVITED';
  }

  private wire(x: FakeMember): detective.MemberDetail {
    return {
      AccountId: x.accountId,
      EmailAddress: x.email,
      Status: x.status as detective.MemberStatus,
      DisabledReason: x.status === 'ACCEPTED_BUT_DISABLED' ? this.disabledReason.get(x.accountId) : undefined,
      GraphArn: this.graphArns[0],
      InvitationType: this.organization.has(x.accountId) ? 'ORGANIZATION' : 'INVITATION',
    };
  }

  private checkGraph(arn: string | undefined) {
    if (!this.graphArns.includes(arn ?? '')) {
      throw serviceError('ResourceNotFoundException', 'The request refers to a nonexistent resource.');
    }
  }

  private checkBatch(ids: string[] | undefined): string[] {
    if (!ids || ids.length < 1 || ids.length > 50) {
      throw serviceError('ValidationException', `AccountIds must hold 1 to 50 items, got ${ids?.length}`);
    }
    return ids;
  }
}

export const HUB_ARN = 'arn:aws:securityhub:us-east-1:999999999999:hub/default';

export class FakeSecurityHub extends FakeService {
  hubEnabled = true;
  /** Answer statuses upper-case (`ENABLED`), as the service has been seen to. */
  upperCase = false;
  readonly mock: AwsClientStub<securityhub.SecurityHubClient>;

  constructor() {
    super();
    this.mock = mockClient(securityhub.SecurityHubClient);
    const m = this.mock;
    m.on(securityhub.DescribeHubCommand).callsFake(() => {
      this.record('DescribeHub', []);
      this.checkHub();
      return { HubArn: HUB_ARN, SubscribedAt: '2026-01-01T00:00:00.000Z' };
    });
    m.on(securityhub.ListMembersCommand).callsFake((input: securityhub.ListMembersCommandInput) => {
      this.checkHub();
      this.record('ListMembers', []);
      if (input.OnlyAssociated !== false) {
        throw new Error('the handler must list every member (OnlyAssociated=false)');
      }
      const all = [...this.members.values()];
      const start = Number(input.NextToken ?? 0);
      const size = input.MaxResults ?? 50;
      const next = start + size < all.length ? String(start + size) : undefined;
      return { Members: all.slice(start, start + size).map((x) => this.wire(x)), NextToken: next };
    });
    m.on(securityhub.GetMembersCommand).callsFake((input: securityhub.GetMembersCommandInput) => {
      this.checkHub();
      this.record('GetMembers', input.AccountIds!);
      const ids = this.checkBatch(input.AccountIds);
      return {
        Members: ids.filter((id) => this.members.has(id)).map((id) => this.wire(this.members.get(id)!)),
        UnprocessedAccounts: ids.filter((id) => !this.members.has(id)).map((id) => ({ AccountId: id, ProcessingResult: 'Not a member' })),
      };
    });
    m.on(securityhub.CreateMembersCommand).callsFake((input: securityhub.CreateMembersCommandInput) => {
      this.checkHub();
      const details = input.AccountDetails ?? [];
      this.record('CreateMembers', details.map((d) => d.AccountId!));
      this.checkBatch(details.map((d) => d.AccountId!));
      const unprocessed: securityhub.Result[] = [];
      for (const d of details) {
        const id = d.AccountId!;
        const existing = this.members.get(id);
        if (this.boundElsewhere.has(id)) {
          unprocessed.push({ AccountId: id, ProcessingResult: this.boundElsewhere.get(id) });
        } else if (existing && !(this.organization.has(id) && existing.status === 'Removed')) {
          unprocessed.push({ AccountId: id, ProcessingResult: 'Account is already a member of the administrator account.' });
        } else {
          this.add(id, this.organization.has(id) ? 'Enabled' : 'Created', d.Email!);
          if (this.reportAppliedAsUnprocessed.has('CreateMembers')) {
            unprocessed.push({ AccountId: id, ProcessingResult: 'Account is already a member of the administrator account.' });
          }
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
    m.on(securityhub.InviteMembersCommand).callsFake((input: securityhub.InviteMembersCommandInput) => {
      this.checkHub();
      this.record('InviteMembers', input.AccountIds!);
      const unprocessed: securityhub.Result[] = [];
      for (const id of this.checkBatch(input.AccountIds)) {
        const member = this.members.get(id);
        if (this.organization.has(id)) this.invitesToOrganization.push(id);
        if (!member) {
          unprocessed.push({ AccountId: id, ProcessingResult: 'Not a member' });
        } else if (member.status === 'Invited' || member.status === 'Enabled' || this.organization.has(id)) {
          unprocessed.push({ AccountId: id, ProcessingResult: 'The account is already invited or enabled.' });
        } else {
          member.status = 'Invited';
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
    m.on(securityhub.DisassociateMembersCommand).callsFake((input: securityhub.DisassociateMembersCommandInput) => {
      this.checkHub();
      this.record('DisassociateMembers', input.AccountIds!);
      for (const id of this.checkBatch(input.AccountIds)) {
        const member = this.members.get(id);
        if (member && member.status !== 'Created') member.status = 'Removed';
      }
      return {};
    });
    m.on(securityhub.DeleteMembersCommand).callsFake((input: securityhub.DeleteMembersCommandInput) => {
      this.checkHub();
      this.record('DeleteMembers', input.AccountIds!);
      const unprocessed: securityhub.Result[] = [];
      for (const id of this.checkBatch(input.AccountIds)) {
        const member = this.members.get(id);
        if (!member) {
          unprocessed.push({ AccountId: id, ProcessingResult: 'Not a member' });
        } else if (member.status === 'Enabled' || member.status === 'Invited') {
          unprocessed.push({ AccountId: id, ProcessingResult: 'The account is still associated with the administrator account.' });
        } else {
          this.members.delete(id);
        }
      }
      return { UnprocessedAccounts: unprocessed };
    });
  }

  private wire(x: FakeMember): securityhub.Member {
    const status = this.upperCase ? x.status.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() : x.status;
    return { AccountId: x.accountId, Email: x.email, MemberStatus: status, AdministratorId: '999999999999' };
  }

  private checkHub() {
    if (!this.hubEnabled) {
      throw serviceError('InvalidAccessException', 'Account 999999999999 is not subscribed to AWS Security Hub');
    }
  }

  private checkBatch(ids: string[] | undefined): string[] {
    if (!ids || ids.length < 1 || ids.length > 50) {
      throw serviceError('InvalidInputException', `AccountIds must hold 1 to 50 items, got ${ids?.length}`);
    }
    return ids;
  }
}

/**
 * Real clients with no retries slowing tests down: the member services' `send` is replaced by
 * the fakes' mocks; the ledger (SSM) and stack statuses (CloudFormation) go to the local
 * endpoint's models over the wire.
 */
export function testClients(endpoint: { readonly url: string }): ClientFactory {
  const wire = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  return clientsOf(
    new guardduty.GuardDutyClient({ region: 'us-east-1', maxAttempts: 1 }),
    new detective.DetectiveClient({ region: 'us-east-1', maxAttempts: 1 }),
    new securityhub.SecurityHubClient({ region: 'us-east-1', maxAttempts: 1 }),
    new SSMClient(wire),
    new CloudFormationClient(wire),
  );
}

/** A client factory answering these client instances, one per class. */
export function clientsOf(...instances: object[]): ClientFactory {
  return (client) => {
    const found = instances.find((instance) => instance instanceof client);
    if (!found) {
      throw new Error(`no test client for ${client.name}`);
    }
    return found as InstanceType<typeof client>;
  };
}

export function accountIds(count: number, start = 100000000000): string[] {
  return Array.from({ length: count }, (_, i) => String(start + i));
}

export function encoded(ids: string[]): string[] {
  return ids.map((id) => `${id}:${id}@example.com`);
}

let requestCounter = 0;

type EventFor<T extends CloudFormationCustomResourceEvent['RequestType']> = Extract<CloudFormationCustomResourceEvent, { RequestType: T }>;

/** A CloudFormation event as the Provider framework passes it on. */
export function cfnEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown>,
  extra: { old?: Record<string, unknown>; physicalId?: string; stackId?: string; logicalId?: string } = {},
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework',
    ResponseURL: 'https://example.invalid/response',
    StackId: extra.stackId ?? 'arn:aws:cloudformation:us-east-1:999999999999:stack/test/guid',
    RequestId: `request-${++requestCounter}`,
    LogicalResourceId: extra.logicalId ?? 'Members',
    ResourceType: 'Custom::GuardDutyMembers',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
  if (requestType === 'Create') {
    return { ...base, RequestType: 'Create' } as EventFor<'Create'>;
  }
  if (requestType === 'Update') {
    return { ...base, RequestType: 'Update', PhysicalResourceId: extra.physicalId!, OldResourceProperties: { ServiceToken: 'token', ...extra.old } } as EventFor<'Update'>;
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: extra.physicalId! } as EventFor<'Delete'>;
}

export const lambdaContext = {
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:999999999999:function:handler',
  getRemainingTimeInMillis: () => 14 * 60 * 1000,
};

/** Runs `fn` with the SDK's default clients pointed at the local endpoint (as the bundled handler runs). */
export async function withEndpointEnv<T>(endpoint: { readonly url: string }, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: endpoint.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}
