/**
 * Accounts declared through AWS Organizations: every ACTIVE account anywhere below the given
 * OUs (recursively) or below a root, with the email Organizations records for it. Read-only
 * calls a delegated administrator may make, in pages of 20 (which may come back short or
 * empty while a NextToken follows), a few listings at a time: Organizations throttles early,
 * and the clients' adaptive retry paces what is left.
 */
import {
  Account,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
} from '@aws-sdk/client-organizations';
import { describeError, ReconcileError } from './engine';
import { ROOT_ID_PATTERN } from './properties';

/** Organizations' page maximum for every listing used here. */
export const ORGANIZATIONS_PAGE_SIZE = 20;
/** Listings in flight at once (each is a sequence of pages). */
export const ORGANIZATIONS_CONCURRENCY = 4;

export interface OrganizationAccounts {
  /** ACTIVE accounts below the units, but the excluded ones and the administrator: account ID → email. */
  readonly accounts: Map<string, string>;
  /** Accounts left out because they are not ACTIVE (suspended, closing, closed). */
  readonly inactive: string[];
}

export interface ResolveOptions {
  readonly exclude?: Iterable<string>;
  /** The administrator account: never its own member. */
  readonly adminAccount?: string;
  /** The member service whose declaration this is: a failure reason starts with it, as every reason does. */
  readonly service?: string;
}

/** An OU or root that could not be read: the deployment changes nothing. */
export class OrganizationReadError extends ReconcileError {}

function isActive(account: Account): boolean {
  // `State` is the newer field (it knows CLOSED); `Status` is what older answers carry.
  return (account.State ?? account.Status) === 'ACTIVE';
}

/** Runs `tasks` added while it runs, at most `limit` at once. */
class TaskPool {
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private failure: unknown;
  private idle?: () => void;

  constructor(private readonly limit: number) {}

  add(task: () => Promise<void>): void {
    this.queue.push(task);
    this.next();
  }

  private next(): void {
    while (this.running < this.limit && this.queue.length > 0 && this.failure === undefined) {
      const task = this.queue.shift()!;
      this.running++;
      task().catch((err) => {
        this.failure ??= err;
      }).finally(() => {
        this.running--;
        this.next();
      });
    }
    if (this.running === 0 && (this.queue.length === 0 || this.failure !== undefined)) {
      this.idle?.();
    }
  }

  /** Resolves when every task is done; rejects with the first failure. */
  async done(): Promise<void> {
    if (this.running > 0 || (this.queue.length > 0 && this.failure === undefined)) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
      });
    }
    if (this.failure !== undefined) {
      throw this.failure;
    }
  }
}

/**
 * Every ACTIVE account below `units`. A root covers the whole organization, so it is read with
 * ListAccounts alone; OUs are walked with ListAccountsForParent and ListChildren. Fails with an
 * {@link OrganizationReadError} naming the OU, the operation and Organizations' answer.
 */
export async function resolveOrganizationAccounts(client: OrganizationsClient, units: readonly string[],
  options: ResolveOptions = {}): Promise<OrganizationAccounts> {
  const found = new Map<string, string>();
  const inactive = new Set<string>();
  const take = (account: Account) => {
    if (!account.Id) return;
    if (isActive(account)) {
      found.set(account.Id, account.Email ?? '');
    } else {
      inactive.add(account.Id);
    }
  };
  const failed = (declared: string, parent: string, operation: string, err: unknown) => {
    const where = parent === declared ? declared : `${parent} (below ${declared})`;
    const service = options.service ? `${options.service}: ` : '';
    return new OrganizationReadError(`${service}organizationalUnits: ${where} could not be read: ${operation} answered ${describeError(err)}. Nothing was changed.`);
  };

  const root = units.find((unit) => ROOT_ID_PATTERN.test(unit));
  if (root) {
    try {
      for await (const page of paginateListAccounts({ client, pageSize: ORGANIZATIONS_PAGE_SIZE }, {})) {
        (page.Accounts ?? []).forEach(take);
      }
    } catch (err) {
      throw failed(root, root, 'ListAccounts', err);
    }
  } else {
    await walkUnits(client, units, take, failed);
  }

  for (const id of [...(options.exclude ?? []), ...(options.adminAccount ? [options.adminAccount] : [])]) {
    found.delete(id);
    inactive.delete(id);
  }
  return { accounts: found, inactive: [...inactive].sort() };
}

/** The email of every account of the organization, whatever its state (ListAccounts, page by page). */
export async function organizationEmails(client: OrganizationsClient): Promise<Map<string, string>> {
  const emails = new Map<string, string>();
  for await (const page of paginateListAccounts({ client, pageSize: ORGANIZATIONS_PAGE_SIZE }, {})) {
    for (const account of page.Accounts ?? []) {
      if (account.Id && account.Email) emails.set(account.Id, account.Email);
    }
  }
  return emails;
}

/** Every account below `units` (recursively), a few listings at a time. */
async function walkUnits(client: OrganizationsClient, units: readonly string[], take: (account: Account) => void,
  failed: (declared: string, parent: string, operation: string, err: unknown) => Error): Promise<void> {
  const visited = new Set<string>();
  const pool = new TaskPool(ORGANIZATIONS_CONCURRENCY);
  const visit = (parent: string, declared: string) => {
    if (visited.has(parent)) return;
    visited.add(parent);
    pool.add(async () => {
      try {
        const pages = paginateListAccountsForParent({ client, pageSize: ORGANIZATIONS_PAGE_SIZE }, { ParentId: parent });
        for await (const page of pages) (page.Accounts ?? []).forEach(take);
      } catch (err) {
        throw failed(declared, parent, 'ListAccountsForParent', err);
      }
    });
    pool.add(async () => {
      try {
        const pages = paginateListChildren({ client, pageSize: ORGANIZATIONS_PAGE_SIZE }, { ParentId: parent, ChildType: 'ORGANIZATIONAL_UNIT' });
        for await (const page of pages) {
          for (const child of page.Children ?? []) {
            if (child.Id) visit(child.Id, declared);
          }
        }
      } catch (err) {
        throw failed(declared, parent, 'ListChildren', err);
      }
    });
  };
  units.forEach((unit) => visit(unit, unit));
  await pool.done();
}
