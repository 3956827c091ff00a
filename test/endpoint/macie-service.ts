/**
 * Macie (macie2, REST-JSON, camelCase) on the wire: the member operations' paths (the account in
 * the path for GetMember, DisassociateMember and DeleteMember; ListMembers' options in the query,
 * onlyAssociated a string), validation and error types as its SDK model defines them, over
 * MacieModel.
 */
import { MacieModel } from './macie-model';
import { ACCOUNT_ID, checkEmail, checkIds, checkMaxResults, paginate, restJson, Route, ServiceDefinition, ServiceError, WireRequest } from './wire';

type Input = Record<string, unknown>;

const invalid = (message: string) => new ServiceError(400, 'ValidationException', message);

function checkAccountId(id: unknown): string {
  if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) throw invalid(`The request failed because '${String(id)}' is not a 12-digit account ID.`);
  return id;
}

function route(operation: string, mutating: boolean, accountIds: unknown[], run: () => unknown): Route {
  return { operation, mutating, accounts: accountIds.length, accountIds: accountIds.length ? accountIds.map(String) : undefined, run };
}

function createMember(model: MacieModel, b: Input): Route {
  const account = (b.account ?? {}) as { accountId?: unknown; email?: unknown };
  return route('CreateMember', true, [account.accountId], () => {
    const accountId = checkAccountId(account.accountId);
    checkEmail(account.email, 400, 'ValidationException');
    const tags = b.tags === undefined ? {} : b.tags;
    if (typeof tags !== 'object' || tags === null || Object.keys(tags).length > 50) throw invalid('tags must be a map of at most 50 tags');
    return model.create(accountId, account.email as string, tags as Record<string, string>);
  });
}

function createInvitations(model: MacieModel, b: Input): Route {
  return route('CreateInvitations', true, Array.isArray(b.accountIds) ? b.accountIds : [], () => {
    const ids = checkIds(b.accountIds, 'accountIds', 400, 'ValidationException');
    if (b.message !== undefined && (typeof b.message !== 'string' || b.message.length > 80)) {
      throw invalid('message must be at most 80 characters');
    }
    return model.invite(ids, b.message as string | undefined, b.disableEmailNotification === true);
  });
}

function listMembers(model: MacieModel, q: URLSearchParams): Route {
  return route('ListMembers', false, [], () => {
    const max = checkMaxResults(q.get('maxResults') ?? undefined, 50, 400, 'ValidationException');
    // By default only current members; 'false' lists every account.
    const onlyAssociated = q.get('onlyAssociated') !== 'false';
    const all = [...model.members.values()].map((m) => model.read(m)).filter((m) => !onlyAssociated || model.associated(m));
    const p = paginate(all, { max, token: q.get('nextToken'), invalidToken: () => invalid('The nextToken is not valid.') });
    return { members: p.items.map((m) => model.wire(m)), nextToken: p.next };
  });
}

export function macieService(model: MacieModel): ServiceDefinition {
  return {
    name: 'Macie2',
    signingName: 'macie2',
    protocol: restJson((e) => ({ message: e.message })),
    // Unsigned requests only: the paths no other service has.
    recognizes: (_method, path) => path === '/invitations' || /^\/members\/(disassociate\/)?\d{12}$/.test(path),
    throttled: () => model.throttled(),
    internalError: () => new ServiceError(500, 'InternalServerException', 'The request failed due to an unknown internal server error, exception, or failure.'),
    unknownOperation: (method, path) => new ServiceError(404, 'UnknownOperationException', `no operation at ${method} ${path}`),
    route: ({ method, path, query, input }: WireRequest) => {
      if (path === '/members') {
        if (method === 'POST') return createMember(model, input);
        return method === 'GET' ? listMembers(model, query) : undefined;
      }
      if (method === 'POST' && path === '/invitations') return createInvitations(model, input);
      const m = /^\/members\/(disassociate\/)?([^/]+)$/.exec(path);
      if (!m) return undefined;
      const id = decodeURIComponent(m[2]);
      if (m[1]) return method === 'POST' ? route('DisassociateMember', true, [id], () => model.disassociate(checkAccountId(id))) : undefined;
      if (method === 'GET') return route('GetMember', false, [id], () => model.wire(model.get(checkAccountId(id))));
      return method === 'DELETE' ? route('DeleteMember', true, [id], () => model.delete(checkAccountId(id))) : undefined;
    },
  };
}
