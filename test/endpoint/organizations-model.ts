/**
 * AWS Organizations (AWS JSON 1.1, target AWSOrganizationsV20161128), read-only as a delegated
 * administrator sees it: a root, nested OUs and accounts, short pages and unreadable parents
 * (test code, never shipped).
 */
import { ACCOUNT_ID, ADMINISTRATOR_ACCOUNT, awsJson, hash, paginate, random, Route, ServiceDefinition, ServiceError } from './wire';

/** `State` (newer); the older `Status` has no CLOSED and shows a closed account as SUSPENDED. */
export type AccountState = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';

export interface OrganizationAccount {
  readonly id: string;
  email: string;
  name: string;
  state: AccountState;
  joinedMethod: 'INVITED' | 'CREATED';
  joinedTimestamp: Date;
  /** The root or OU directly above. */
  parentId: string;
}

export interface OrganizationalUnit {
  readonly id: string;
  readonly name: string;
  parentId: string;
}

const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const invalidInput = (reason: string, message: string) => new ServiceError(400, 'InvalidInputException', message, { Reason: reason });

export class OrganizationsModel {
  readonly organizationId = 'o-a1b2c3d4e5';
  readonly rootId = 'r-a1b2';
  readonly managementAccountId = '555555555555';
  readonly accounts = new Map<string, OrganizationAccount>();
  readonly units = new Map<string, OrganizationalUnit>();
  /** Parents (root or OU IDs) whose listing answers AccessDeniedException. */
  readonly unreadable = new Set<string>();
  /** Pages hold any number of items from 0 to MaxResults while a NextToken follows, as the service allows. */
  shortPages = false;

  constructor(private readonly seed = 1) {
    this.addAccount(this.managementAccountId, { name: 'Management', email: 'root+management@example.com', joinedMethod: 'CREATED' });
    // The delegated administrator is itself an account of the organization: callers skip it.
    this.addAccount(ADMINISTRATOR_ACCOUNT, { name: 'Security', email: 'root+security@example.com' });
  }

  /** A new OU below `parentId` (the root by default); answers its ID, `ou-<root part>-<8 characters>`. */
  addOrganizationalUnit(name: string, parentId: string = this.rootId): string {
    this.parent(parentId);
    const suffix = hash(`${name}|${this.units.size}`).toString(36).padStart(8, '0').slice(-8);
    const id = `ou-${this.rootId.slice(2)}-${suffix}`;
    this.units.set(id, { id, name, parentId });
    return id;
  }

  addAccount(id: string, options: Partial<Omit<OrganizationAccount, 'id'>> = {}): OrganizationAccount {
    if (!ACCOUNT_ID.test(id)) throw new Error(`test setup: ${id} is not an account ID`);
    const account: OrganizationAccount = {
      id,
      email: options.email ?? `root+${id}@example.com`,
      name: options.name ?? `Account ${id}`,
      state: options.state ?? 'ACTIVE',
      joinedMethod: options.joinedMethod ?? 'INVITED',
      joinedTimestamp: options.joinedTimestamp ?? new Date('2026-01-01T00:00:00Z'),
      parentId: options.parentId ?? this.rootId,
    };
    this.parent(account.parentId);
    this.accounts.set(id, account);
    return account;
  }

  moveAccount(id: string, parentId: string) {
    this.parent(parentId);
    this.account(id).parentId = parentId;
  }

  setState(id: string, state: AccountState) {
    this.account(id).state = state;
  }

  removeAccount(id: string) {
    this.account(id);
    this.accounts.delete(id);
  }

  private account(id: string): OrganizationAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`test setup: ${id} is not in the organization`);
    return account;
  }

  private parent(id: string) {
    if (id !== this.rootId && !this.units.has(id)) throw new Error(`test setup: no parent ${id}`);
  }

  arn(kind: 'root' | 'ou' | 'account', id: string): string {
    return `arn:aws:organizations::${this.managementAccountId}:${kind}/${this.organizationId}/${id}`;
  }

  /** `o-…/r-…/ou-…/…/` down to the parent, as the newer Path and Paths fields read. */
  path(parentId: string): string {
    const chain: string[] = [];
    for (let id: string | undefined = parentId; id; id = this.units.get(id)?.parentId) chain.unshift(id);
    return `${this.organizationId}/${chain.join('/')}/`;
  }

  wireAccount(a: OrganizationAccount) {
    return {
      Id: a.id,
      Arn: this.arn('account', a.id),
      Email: a.email,
      Name: a.name,
      Status: a.state === 'CLOSED' ? 'SUSPENDED' : a.state,
      State: a.state,
      Paths: [`${this.path(a.parentId)}${a.id}/`],
      JoinedMethod: a.joinedMethod,
      JoinedTimestamp: a.joinedTimestamp.getTime() / 1000,
    };
  }

  wireUnit(u: OrganizationalUnit) {
    return { Id: u.id, Arn: this.arn('ou', u.id), Name: u.name, Path: `${this.path(u.parentId)}${u.id}/` };
  }

  /** One page, 1 to 20 items (short pages when asked, from the seed, the listing and the offset). */
  page<T>(items: T[], listing: string, b: Record<string, unknown>) {
    const max = b.MaxResults === undefined ? 20 : Number(b.MaxResults);
    if (!Number.isInteger(max) || max < 1) throw invalidInput('MIN_VALUE_EXCEEDED', 'You provided a value that is less than the minimum allowed value.');
    if (max > 20) throw invalidInput('MAX_VALUE_EXCEEDED', 'You provided a value that exceeds the maximum allowed value.');
    return paginate(items, {
      max,
      token: b.NextToken,
      invalidToken: () => invalidInput('INVALID_NEXT_TOKEN', 'You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.'),
      size: this.shortPages ? (offset, emptyRun) => this.shortPageSize(`${listing}|${offset}|${emptyRun}`, max) : undefined,
    });
  }

  /** A quarter of short pages come back empty, the others with 1 to max items. */
  private shortPageSize(key: string, max: number): number {
    const rand = random(hash(`${this.seed}|${key}`));
    return rand() < 0.25 ? 0 : 1 + Math.floor(rand() * max);
  }

  /** The parent a listing names, checked as the service checks it. */
  readableParent(parentId: unknown): string {
    if (typeof parentId !== 'string' || !PARENT_ID.test(parentId)) {
      throw invalidInput('INVALID_PATTERN', 'You provided a value that does not match the required pattern.');
    }
    if (parentId !== this.rootId && !this.units.has(parentId)) {
      throw new ServiceError(400, 'ParentNotFoundException', "We can't find a root or OU with the ParentId that you specified.");
    }
    if (this.unreadable.has(parentId)) {
      throw new ServiceError(400, 'AccessDeniedException', "You don't have permissions to access this resource.");
    }
    return parentId;
  }

  accountsIn(parentId: string): OrganizationAccount[] {
    return [...this.accounts.values()].filter((a) => a.parentId === parentId).sort((a, b) => a.id.localeCompare(b.id));
  }

  unitsIn(parentId: string): OrganizationalUnit[] {
    return [...this.units.values()].filter((u) => u.parentId === parentId).sort((a, b) => a.id.localeCompare(b.id));
  }
}

function organizationsRoute(model: OrganizationsModel, operation: string, b: Record<string, unknown>): Route | undefined {
  const read = (run: () => unknown): Route => ({ operation, mutating: false, accounts: 0, run });
  switch (operation) {
    case 'ListRoots':
      return read(() => {
        const p = model.page([model.rootId], operation, b);
        return { Roots: p.items.map((id) => ({ Id: id, Arn: model.arn('root', id), Name: 'Root', PolicyTypes: [] })), NextToken: p.next };
      });
    case 'ListChildren':
      return read(() => {
        const parentId = model.readableParent(b.ParentId);
        if (b.ChildType !== 'ACCOUNT' && b.ChildType !== 'ORGANIZATIONAL_UNIT') {
          throw invalidInput('INVALID_ENUM', 'You specified an invalid value.');
        }
        const ids = b.ChildType === 'ACCOUNT' ? model.accountsIn(parentId).map((a) => a.id) : model.unitsIn(parentId).map((u) => u.id);
        const p = model.page(ids, `${operation}|${parentId}|${b.ChildType}`, b);
        return { Children: p.items.map((Id) => ({ Id, Type: b.ChildType })), NextToken: p.next };
      });
    case 'ListAccountsForParent':
      return read(() => {
        const parentId = model.readableParent(b.ParentId);
        const p = model.page(model.accountsIn(parentId), `${operation}|${parentId}`, b);
        return { Accounts: p.items.map((a) => model.wireAccount(a)), NextToken: p.next };
      });
    case 'ListAccounts':
      return read(() => {
        const all = [...model.accounts.values()].sort((x, y) => x.id.localeCompare(y.id));
        const p = model.page(all, operation, b);
        return { Accounts: p.items.map((a) => model.wireAccount(a)), NextToken: p.next };
      });
    case 'ListOrganizationalUnitsForParent':
      return read(() => {
        const parentId = model.readableParent(b.ParentId);
        const p = model.page(model.unitsIn(parentId), `${operation}|${parentId}`, b);
        return { OrganizationalUnits: p.items.map((u) => model.wireUnit(u)), NextToken: p.next };
      });
    case 'DescribeAccount':
      return read(() => {
        if (typeof b.AccountId !== 'string' || !ACCOUNT_ID.test(b.AccountId)) {
          throw invalidInput('INVALID_PATTERN', 'You provided a value that does not match the required pattern.');
        }
        const account = model.accounts.get(b.AccountId);
        if (!account) {
          throw new ServiceError(400, 'AccountNotFoundException', "We can't find an AWS account with the AccountId that you specified, or the account whose credentials you used to make this request isn't a member of an organization.");
        }
        return { Account: model.wireAccount(account) };
      });
    case 'DescribeOrganization':
      return read(() => ({
        Organization: {
          Id: model.organizationId,
          Arn: `arn:aws:organizations::${model.managementAccountId}:organization/${model.organizationId}`,
          FeatureSet: 'ALL',
          MasterAccountArn: model.arn('account', model.managementAccountId),
          MasterAccountId: model.managementAccountId,
          MasterAccountEmail: model.accounts.get(model.managementAccountId)?.email,
          AvailablePolicyTypes: [],
        },
      }));
  }
  return undefined;
}

const TARGET = 'AWSOrganizationsV20161128.';

export function organizationsService(model: OrganizationsModel): ServiceDefinition {
  return {
    name: 'Organizations',
    signingName: 'organizations',
    protocol: awsJson('1.1', { messageKey: 'Message' }),
    recognizes: (_method, _path, headers) => String(headers['x-amz-target'] ?? '').startsWith(TARGET),
    // Organizations answers every client error, throttling too, with HTTP 400.
    throttled: () => new ServiceError(400, 'TooManyRequestsException', 'AWS Organizations can\'t complete your request because the request rate is too high. Try again later.'),
    internalError: () => new ServiceError(500, 'ServiceException', 'AWS Organizations can\'t complete your request because of an internal service error. Try again later.'),
    unknownOperation: () => new ServiceError(400, 'UnknownOperationException', 'The operation is not modeled by this endpoint.'),
    route: ({ method, headers, input }) => {
      const target = String(headers['x-amz-target'] ?? '');
      return method === 'POST' && target.startsWith(TARGET) ? organizationsRoute(model, target.slice(TARGET.length), input) : undefined;
    },
  };
}
