/**
 * A member service whose operations take one account per call, in memory (test code): Inspector's
 * shape (asynchronous association, no invitations) or Macie's (synchronous, invitations of up to
 * 50), with throttling, errors and slow calls on demand, and counts of what was sent.
 */
import { CreateResult, MemberApi, MemberOperation, UnprocessedAccount } from '../../../src/private/execution/api';
import { Logger } from '../../../src/private/logger';
import { LiveMember, MemberStatusModel } from '../../../src/private/planner';
import { MemberDeclaration } from '../../../src/private/properties';
import { INSPECTOR_STATUSES } from '../../../src/private/services/inspector/statuses';
import { MACIE_STATUSES } from '../../../src/private/services/macie/statuses';

export const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A logger that keeps what it was told. */
export function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (message: string, fields?: object) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: log, warn: log, error: log };
}

export function throttlingError(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
}

export function serviceError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

export type Shape = 'Inspector' | 'Macie';

export class OneAccountFake implements MemberApi {
  readonly statuses: MemberStatusModel;
  readonly pageSize = 50;
  readonly perAccount: readonly (MemberOperation | 'GetMembers')[];
  readonly asynchronous: boolean;
  readonly members = new Map<string, LiveMember>();
  /** Organization accounts (Macie: Enabled at once; others Created, then invited). */
  readonly organization = new Set<string>();
  /** Where an association (or creation) ends instead of the normal state. */
  readonly endsIn = new Map<string, string>();
  /** Reads an asynchronous change stays under way for. */
  readsUntilSettled = 1;
  /** Every call, by operation, with its account(s) and outcome. */
  readonly calls: { operation: string; accounts: string[]; outcome: 'ok' | 'throttled' | 'error' }[] = [];
  /** Calls of an operation to throttle next (counted down). */
  readonly throttleNext = new Map<string, number>();
  /** Errors to answer for an account's calls of an operation (`CreateMembers:<id>`), every time. */
  readonly errors = new Map<string, Error>();
  inFlight = 0;
  peak = 0;
  private readonly underWay = new Map<string, { target?: string; reads: number }>();

  constructor(readonly shape: Shape) {
    this.statuses = shape === 'Inspector' ? INSPECTOR_STATUSES : MACIE_STATUSES;
    this.asynchronous = shape === 'Inspector';
    this.perAccount = shape === 'Inspector'
      ? ['CreateMembers', 'DisassociateMembers', 'GetMembers']
      : ['CreateMembers', 'DisassociateMembers', 'DeleteMembers', 'GetMembers'];
  }

  /** What every call waits for before it runs. */
  wait: () => Promise<unknown> = () => Promise.resolve();

  count(operation: string, outcome = 'ok'): number {
    return this.calls.filter((c) => c.operation === operation && c.outcome === outcome).length;
  }

  private async call<T>(operation: string, accounts: string[], fn: () => T): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      await this.wait();
      const throttles = this.throttleNext.get(operation) ?? 0;
      if (throttles > 0) {
        this.throttleNext.set(operation, throttles - 1);
        this.calls.push({ operation, accounts, outcome: 'throttled' });
        throw throttlingError();
      }
      const error = accounts.length === 1 ? this.errors.get(`${operation}:${accounts[0]}`) : undefined;
      if (error) {
        this.calls.push({ operation, accounts, outcome: 'error' });
        throw error;
      }
      this.calls.push({ operation, accounts, outcome: 'ok' });
      return fn();
    } finally {
      this.inFlight--;
    }
  }

  /** A member as a read sees it: a change under way finishes after `readsUntilSettled` reads. */
  private read(accountId: string): LiveMember | undefined {
    const change = this.underWay.get(accountId);
    if (change) {
      if (change.reads > 0) {
        change.reads--;
      } else {
        this.underWay.delete(accountId);
        if (change.target === undefined) this.members.delete(accountId);
        else this.members.set(accountId, { ...this.members.get(accountId)!, status: change.target });
      }
    }
    return this.members.get(accountId);
  }

  listMembers = () => this.call('ListMembers', [], () => [...this.members.keys()].map((id) => this.read(id)!).filter(Boolean));

  getMembers = (ids: string[]) => this.call('GetMembers', ids, () => ids.map((id) => this.read(id)).filter((m): m is LiveMember => m !== undefined));

  createMembers = (members: MemberDeclaration[]) => this.call('CreateMembers', members.map((m) => m.accountId), (): CreateResult => {
    for (const { accountId, email } of members) {
      const ends = this.endsIn.get(accountId);
      if (this.asynchronous) {
        this.members.set(accountId, { accountId, status: 'CREATED' });
        this.underWay.set(accountId, { target: ends ?? 'ENABLED', reads: this.readsUntilSettled });
      } else {
        const status = this.organization.has(accountId) ? ends ?? 'Enabled' : 'Created';
        this.members.set(accountId, { accountId, email: this.organization.has(accountId) ? undefined : email, status });
      }
    }
    return { unprocessed: [], members: [] };
  });

  inviteMembers = (ids: string[]) => this.call('InviteMembers', ids, (): UnprocessedAccount[] => {
    const unprocessed: UnprocessedAccount[] = [];
    for (const id of ids) {
      const member = this.members.get(id);
      if (!member || this.organization.has(id)) {
        unprocessed.push({ accountId: id, reason: 'ClientError: not invitable' });
      } else {
        this.members.set(id, { ...member, status: this.endsIn.get(id) ?? 'Invited' });
      }
    }
    return unprocessed;
  });

  disassociateMembers = (ids: string[]) => this.call('DisassociateMembers', ids, (): UnprocessedAccount[] => {
    for (const id of ids) {
      if (this.asynchronous) this.underWay.set(id, { target: undefined, reads: this.readsUntilSettled });
      else this.members.set(id, { ...this.members.get(id)!, status: 'Removed' });
    }
    return [];
  });

  deleteMembers = (ids: string[]) => this.call('DeleteMembers', ids, (): UnprocessedAccount[] => {
    ids.forEach((id) => this.members.delete(id));
    return [];
  });
}

export const declared = (ids: readonly string[]): MemberDeclaration[] => ids.map((accountId) => ({ accountId, email: `root+${accountId}@example.com` }));
