/**
 * A local GuardDuty + Detective endpoint (test code, never shipped): REST-JSON as the service
 * models define it (paths, casing, status codes, `x-amzn-ErrorType`), a stateful member model,
 * seeded fault injection and a call log. Listens on 127.0.0.1 only.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export const GRAPH_ARN_PATTERN = /^arn:aws[-\w]{0,10}?:detective:[-\w]{2,20}?:\d{12}?:graph:[abcdef\d]{32}?$/;
const ACCOUNT_ID = /^\d{12}$/;
const EMAIL = /^.+@.+$/;

export interface Faults {
  /** Added to every answer, in milliseconds. */
  readonly latencyMs?: number;
  /** Share of calls answered 429 before doing anything. */
  readonly throttleRate?: number;
  /** Share of calls answered 500 before doing anything. */
  readonly errorRate?: number;
  /** Share of mutating calls applied whose connection is then dropped with no answer. */
  readonly lostRate?: number;
  /**
   * A service-side rate limit: a token bucket refilled at this many requests per second,
   * holding one second's worth; a request finding it empty is answered 429.
   */
  readonly requestsPerSecond?: number;
}

export interface CallRecord {
  readonly service?: 'GuardDuty' | 'Detective';
  readonly operation: string;
  readonly accounts: number;
  /** 'ok', 'throttled', 'error', 'lost' or an error type. */
  readonly outcome: string;
}

interface Member {
  accountId: string;
  email: string;
  status: string;
}

class ServiceError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

/* eslint-disable no-bitwise -- hashing and the PRNG are bit arithmetic */
/** FNV-1a: a string to a 32-bit seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/* eslint-enable no-bitwise */

/** One administrator's detector and behavior graph, plus facts about other accounts. */
export class MemberModel {
  readonly detectorId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  readonly graphArn = 'arn:aws:detective:us-east-1:999999999999:graph:0123456789abcdef0123456789abcdef';
  detectorExists = true;
  graphExists = true;
  readonly guardDuty = new Map<string, Member>();
  readonly detective = new Map<string, Member>();
  /** Organization accounts: enabled at once, not invitable. */
  readonly organization = new Set<string>();
  /** With auto-enable ALL, organization members cannot be disassociated or deleted. */
  autoEnableAll = false;
  /** Accounts bound to another administrator, with the service's reason. */
  readonly boundElsewhere = new Map<string, string>();
  /** Invitations actually sent, per account and service (an email each). */
  readonly invitations = new Map<string, number>();

  private invited(service: string, accountId: string) {
    const key = `${service}:${accountId}`;
    this.invitations.set(key, (this.invitations.get(key) ?? 0) + 1);
  }

  state(service: 'GuardDuty' | 'Detective'): Record<string, string> {
    const members = service === 'GuardDuty' ? this.guardDuty : this.detective;
    return Object.fromEntries([...members.values()].sort((a, b) => a.accountId.localeCompare(b.accountId)).map((m) => [m.accountId, m.status]));
  }

  // --- GuardDuty ---
  gdCreate(details: { accountId: string; email: string }[]) {
    const unprocessed: { accountId: string; result: string }[] = [];
    for (const { accountId, email } of details) {
      const existing = this.guardDuty.get(accountId);
      if (this.boundElsewhere.has(accountId)) {
        unprocessed.push({ accountId, result: this.boundElsewhere.get(accountId)! });
      } else if (existing && !(this.organization.has(accountId) && existing.status === 'Removed')) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is already a member or associated member of the current account.' });
      } else {
        this.guardDuty.set(accountId, { accountId, email, status: this.organization.has(accountId) ? 'Enabled' : 'Created' });
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  gdInvite(accountIds: string[]) {
    const unprocessed: { accountId: string; result: string }[] = [];
    for (const accountId of accountIds) {
      const member = this.guardDuty.get(accountId);
      if (!member) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is not a member of the current account.' });
      } else if (this.organization.has(accountId)) {
        unprocessed.push({ accountId, result: 'The request is rejected because an organization account cannot be invited.' });
      } else if (['Invited', 'Enabled', 'EmailVerificationInProgress'].includes(member.status)) {
        unprocessed.push({ accountId, result: 'The request is rejected because the current account has already invited or is already the GuardDuty master of the given member account ID.' });
      } else {
        member.status = 'Invited';
        this.invited('GuardDuty', accountId);
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  gdDisassociate(accountIds: string[]) {
    const unprocessed: { accountId: string; result: string }[] = [];
    for (const accountId of accountIds) {
      const member = this.guardDuty.get(accountId);
      if (!member) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is not a member of the current account.' });
      } else if (this.autoEnableAll && this.organization.has(accountId)) {
        unprocessed.push({ accountId, result: 'The request is rejected because auto-enable is set to ALL: remove the account from the organization first.' });
      } else if (member.status !== 'Created') {
        member.status = 'Removed';
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  gdDelete(accountIds: string[]) {
    const unprocessed: { accountId: string; result: string }[] = [];
    for (const accountId of accountIds) {
      const member = this.guardDuty.get(accountId);
      if (!member) {
        unprocessed.push({ accountId, result: 'The request is rejected because the given account ID is not a member of the current account.' });
      } else if (['Enabled', 'Invited', 'EmailVerificationInProgress'].includes(member.status)) {
        unprocessed.push({ accountId, result: 'The request is rejected. The current account cannot delete the specified member account ID because it is still associated with it.' });
      } else {
        this.guardDuty.delete(accountId);
      }
    }
    return { unprocessedAccounts: unprocessed };
  }

  // --- Detective ---
  dtCreate(accounts: { AccountId: string; EmailAddress: string }[]) {
    const fresh = accounts.filter((a) => !this.detective.has(a.AccountId) && !this.boundElsewhere.has(a.AccountId));
    if (this.detective.size + fresh.length > 1200) {
      throw new ServiceError(402, 'ServiceQuotaExceededException', 'This request cannot be completed because it would exceed the member account quota of 1200.');
    }
    const unprocessed: { AccountId: string; Reason: string }[] = [];
    const members: object[] = [];
    for (const { AccountId, EmailAddress } of accounts) {
      if (this.boundElsewhere.has(AccountId)) {
        unprocessed.push({ AccountId, Reason: this.boundElsewhere.get(AccountId)! });
      } else if (this.detective.has(AccountId)) {
        unprocessed.push({ AccountId, Reason: 'Account is already a member' });
      } else {
        const org = this.organization.has(AccountId);
        const member = { accountId: AccountId, email: EmailAddress, status: org ? 'ENABLED' : 'INVITED' };
        this.detective.set(AccountId, member);
        if (!org) this.invited('Detective', AccountId);
        members.push(this.dtWire(member));
      }
    }
    return { Members: members, UnprocessedAccounts: unprocessed };
  }

  dtDelete(accountIds: string[]) {
    const removed: string[] = [];
    const unprocessed: { AccountId: string; Reason: string }[] = [];
    for (const id of accountIds) {
      if (id === this.graphArn.split(':')[4]) {
        unprocessed.push({ AccountId: id, Reason: 'The administrator account cannot be removed from its own behavior graph.' });
      } else if (this.detective.delete(id)) {
        removed.push(id);
      } else {
        unprocessed.push({ AccountId: id, Reason: 'Account is not a member of the behavior graph' });
      }
    }
    return { AccountIds: removed, UnprocessedAccounts: unprocessed };
  }

  dtWire(m: Member) {
    return {
      AccountId: m.accountId,
      EmailAddress: m.email,
      GraphArn: this.graphArn,
      Status: m.status,
      InvitationType: this.organization.has(m.accountId) ? 'ORGANIZATION' : 'INVITATION',
      AdministratorId: '999999999999',
    };
  }

  gdWire(m: Member) {
    return { accountId: m.accountId, detectorId: 'member-detector', administratorId: '999999999999', email: m.email, relationshipStatus: m.status, updatedAt: '2026-11-21T00:00:00.000Z' };
  }
}

function page<T>(items: T[], maxResults: number, token: string | undefined) {
  const start = token ? Number(token) : 0;
  const end = start + maxResults;
  return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
}

function checkIds(ids: unknown, field: string, status = 400, type = 'BadRequestException'): string[] {
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 50) {
    throw new ServiceError(status, type, `${field} must hold 1 to 50 items, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
  }
  for (const id of ids) {
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
      throw new ServiceError(status, type, `${field}: '${String(id)}' is not a 12-digit account ID`);
    }
  }
  return ids as string[];
}

function checkEmail(email: unknown, status: number, type: string) {
  if (typeof email !== 'string' || email.length < 1 || email.length > 64 || !EMAIL.test(email)) {
    throw new ServiceError(status, type, 'email address is invalid');
  }
}

function checkMaxResults(value: unknown, max: number, status: number, type: string): number {
  if (value === undefined) return max;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ServiceError(status, type, `maxResults must be 1 to ${max}`);
  }
  return n;
}

interface Route {
  readonly operation: string;
  readonly mutating: boolean;
  readonly service: 'GuardDuty' | 'Detective';
  run(body: Record<string, unknown>, query: URLSearchParams): unknown;
  accounts(body: Record<string, unknown>): number;
}

export interface Endpoint {
  readonly url: string;
  readonly model: MemberModel;
  readonly calls: CallRecord[];
  faults: Faults;
  /** Highest number of requests in flight at once. */
  peakConcurrency: number;
  count(operation: string, outcome?: string): number;
  maxAccountsPerCall(): number;
  stop(): Promise<void>;
}

export async function startEndpoint(options: { seed?: number; faults?: Faults } = {}): Promise<Endpoint> {
  const model = new MemberModel();
  const seed = options.seed ?? 1;
  const attempts = new Map<string, number>();
  /**
   * Fault dice for one request, derived from the seed, the operation, its accounts and how
   * often that same request came before: a seed replays exactly, whatever the interleaving.
   */
  const dice = (operation: string, body: Record<string, unknown>) => {
    const key = `${operation} ${JSON.stringify(body)}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    return random(hash(`${seed}|${key}|${attempt}`));
  };
  const calls: CallRecord[] = [];
  let inFlight = 0;
  const bucket = { tokens: Number.NaN, at: 0 };
  /** Takes a token from the rate-limit bucket; false when the request is over the limit. */
  const withinRate = (rate: number | undefined): boolean => {
    if (!rate) return true;
    const now = performance.now();
    bucket.tokens = Number.isNaN(bucket.tokens) ? rate : Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const gdDetector = (detectorId: string) => {
    if (detectorId.length < 1 || detectorId.length > 300) {
      throw new ServiceError(400, 'BadRequestException', 'The request is rejected because the parameter detectorId has an invalid value.');
    }
    if (!model.detectorExists || detectorId !== model.detectorId) {
      throw new ServiceError(400, 'BadRequestException', 'The request is rejected because the input detectorId is not owned by the current account.');
    }
  };
  const dtGraph = (arn: unknown) => {
    if (typeof arn !== 'string' || !GRAPH_ARN_PATTERN.test(arn)) {
      throw new ServiceError(400, 'ValidationException', 'GraphArn does not match the pattern');
    }
    if (!model.graphExists || arn !== model.graphArn) {
      throw new ServiceError(404, 'ResourceNotFoundException', 'The request refers to a nonexistent resource.');
    }
  };

  function route(method: string, path: string): Route | undefined {
    const gd = path.match(/^\/detector\/([^/]+)\/member(\/(get|invite|disassociate|delete))?$/);
    if (method === 'GET' && path === '/detector') {
      return {
        operation: 'ListDetectors',
        mutating: false,
        service: 'GuardDuty',
        accounts: () => 0,
        run: (_b, q) => {
          checkMaxResults(q.get('maxResults') ?? undefined, 50, 400, 'BadRequestException');
          return { detectorIds: model.detectorExists ? [model.detectorId] : [] };
        },
      };
    }
    if (gd) {
      const detectorId = decodeURIComponent(gd[1]);
      const sub = gd[3];
      if (method === 'GET' && !sub) {
        return {
          operation: 'ListMembers',
          mutating: false,
          service: 'GuardDuty',
          accounts: () => 0,
          run: (_b, q) => {
            gdDetector(detectorId);
            const max = checkMaxResults(q.get('maxResults') ?? undefined, 50, 400, 'BadRequestException');
            const onlyAssociated = q.get('onlyAssociated') !== 'false';
            const all = [...model.guardDuty.values()].filter((m) => !onlyAssociated || ['Enabled', 'Invited', 'Disabled', 'EmailVerificationInProgress'].includes(m.status));
            const p = page(all, max, q.get('nextToken') ?? undefined);
            return { members: p.items.map((m) => model.gdWire(m)), nextToken: p.next };
          },
        };
      }
      if (method !== 'POST') return undefined;
      const idsOf = (b: Record<string, unknown>) => (Array.isArray(b.accountIds) ? b.accountIds.length : 0);
      switch (sub) {
        case undefined:
          return {
            operation: 'CreateMembers',
            mutating: true,
            service: 'GuardDuty',
            accounts: (b) => (Array.isArray(b.accountDetails) ? b.accountDetails.length : 0),
            run: (b) => {
              gdDetector(detectorId);
              const details = b.accountDetails as { accountId: string; email: string }[];
              checkIds(Array.isArray(details) ? details.map((d) => d.accountId) : details, 'accountDetails');
              details.forEach((d) => checkEmail(d.email, 400, 'BadRequestException'));
              return model.gdCreate(details);
            },
          };
        case 'get':
          return {
            operation: 'GetMembers',
            mutating: false,
            service: 'GuardDuty',
            accounts: idsOf,
            run: (b) => {
              gdDetector(detectorId);
              const ids = checkIds(b.accountIds, 'accountIds');
              return {
                members: ids.filter((id) => model.guardDuty.has(id)).map((id) => model.gdWire(model.guardDuty.get(id)!)),
                unprocessedAccounts: ids.filter((id) => !model.guardDuty.has(id)).map((accountId) => ({ accountId, result: 'The request is rejected because the given account ID is not an associated member of account the current account.' })),
              };
            },
          };
        case 'invite':
          return { operation: 'InviteMembers', mutating: true, service: 'GuardDuty', accounts: idsOf, run: (b) => (gdDetector(detectorId), model.gdInvite(checkIds(b.accountIds, 'accountIds'))) };
        case 'disassociate':
          return { operation: 'DisassociateMembers', mutating: true, service: 'GuardDuty', accounts: idsOf, run: (b) => (gdDetector(detectorId), model.gdDisassociate(checkIds(b.accountIds, 'accountIds'))) };
        case 'delete':
          return { operation: 'DeleteMembers', mutating: true, service: 'GuardDuty', accounts: idsOf, run: (b) => (gdDetector(detectorId), model.gdDelete(checkIds(b.accountIds, 'accountIds'))) };
      }
    }
    if (method !== 'POST') return undefined;
    const dtIds = (b: Record<string, unknown>) => (Array.isArray(b.AccountIds) ? b.AccountIds.length : 0);
    switch (path) {
      case '/graphs/list':
        return {
          operation: 'ListGraphs',
          mutating: false,
          service: 'Detective',
          accounts: () => 0,
          run: (b) => {
            checkMaxResults(b.MaxResults, 200, 400, 'ValidationException');
            return { GraphList: model.graphExists ? [{ Arn: model.graphArn, CreatedTime: '2026-01-01T00:00:00Z' }] : [] };
          },
        };
      case '/graph/members/list':
        return {
          operation: 'ListMembers',
          mutating: false,
          service: 'Detective',
          accounts: () => 0,
          run: (b) => {
            dtGraph(b.GraphArn);
            const max = checkMaxResults(b.MaxResults, 200, 400, 'ValidationException');
            const p = page([...model.detective.values()], max, b.NextToken as string | undefined);
            return { MemberDetails: p.items.map((m) => model.dtWire(m)), NextToken: p.next };
          },
        };
      case '/graph/members/get':
        return {
          operation: 'GetMembers',
          mutating: false,
          service: 'Detective',
          accounts: dtIds,
          run: (b) => {
            dtGraph(b.GraphArn);
            const ids = checkIds(b.AccountIds, 'AccountIds', 400, 'ValidationException');
            return {
              MemberDetails: ids.filter((id) => model.detective.has(id)).map((id) => model.dtWire(model.detective.get(id)!)),
              UnprocessedAccounts: ids.filter((id) => !model.detective.has(id)).map((AccountId) => ({ AccountId, Reason: 'Account is not a member of the behavior graph' })),
            };
          },
        };
      case '/graph/members':
        return {
          operation: 'CreateMembers',
          mutating: true,
          service: 'Detective',
          accounts: (b) => (Array.isArray(b.Accounts) ? b.Accounts.length : 0),
          run: (b) => {
            dtGraph(b.GraphArn);
            const accounts = b.Accounts as { AccountId: string; EmailAddress: string }[];
            checkIds(Array.isArray(accounts) ? accounts.map((a) => a.AccountId) : accounts, 'Accounts', 400, 'ValidationException');
            accounts.forEach((a) => checkEmail(a.EmailAddress, 400, 'ValidationException'));
            if (b.Message !== undefined && (typeof b.Message !== 'string' || b.Message.length < 1 || b.Message.length > 1000)) {
              throw new ServiceError(400, 'ValidationException', 'Message must be 1 to 1000 characters');
            }
            return model.dtCreate(accounts);
          },
        };
      case '/graph/members/removal':
        return {
          operation: 'DeleteMembers',
          mutating: true,
          service: 'Detective',
          accounts: dtIds,
          run: (b) => (dtGraph(b.GraphArn), model.dtDelete(checkIds(b.AccountIds, 'AccountIds', 400, 'ValidationException'))),
        };
    }
    return undefined;
  }

  const endpoint: Endpoint = {
    url: '',
    model,
    calls,
    faults: options.faults ?? {},
    peakConcurrency: 0,
    count: (operation, outcome) => calls.filter((c) => c.operation === operation && (outcome === undefined || c.outcome === outcome)).length,
    maxAccountsPerCall: () => Math.max(0, ...calls.map((c) => c.accounts)),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      inFlight++;
      endpoint.peakConcurrency = Math.max(endpoint.peakConcurrency, inFlight);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r = route(req.method ?? 'GET', url.pathname);
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        body = {};
      }
      const detective = r?.service === 'Detective' || url.pathname.startsWith('/graph');
      const send = (status: number, payload: unknown, errorType?: string) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `req-${calls.length}` };
        if (errorType) headers['x-amzn-errortype'] = errorType;
        res.writeHead(status, headers);
        res.end(JSON.stringify(payload));
      };
      const fail = (status: number, type: string, message: string) =>
        send(status, detective ? { Message: message } : { message, __type: type }, type);
      const faults = endpoint.faults;
      const record = (outcome: string) => calls.push({ service: r?.service, operation: r ? r.operation : `${req.method} ${url.pathname}`, accounts: r ? r.accounts(body) : 0, outcome });
      try {
        if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
        if (!r) {
          record('UnknownOperationException');
          fail(404, 'UnknownOperationException', `no operation at ${req.method} ${url.pathname}`);
          return;
        }
        const rand = dice(r.operation, body);
        if (rand() < (faults.throttleRate ?? 0) || !withinRate(faults.requestsPerSecond)) {
          record('throttled');
          fail(429, detective ? 'TooManyRequestsException' : 'TooManyRequestsException', 'Rate exceeded');
          return;
        }
        if (rand() < (faults.errorRate ?? 0)) {
          record('error');
          fail(500, detective ? 'InternalServerException' : 'InternalServerErrorException', 'Internal error');
          return;
        }
        const result = r.run(body, url.searchParams);
        if (r.mutating && rand() < (faults.lostRate ?? 0)) {
          record('lost');
          req.socket.destroy();
          return;
        }
        record('ok');
        send(200, result);
      } catch (err) {
        if (err instanceof ServiceError) {
          record(err.type);
          fail(err.status, err.type, err.message);
        } else {
          record('InternalFailure');
          fail(500, 'InternalFailure', String(err));
        }
      } finally {
        inFlight--;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (endpoint as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return endpoint;
}
