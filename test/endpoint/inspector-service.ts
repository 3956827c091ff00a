/**
 * Inspector (inspector2, REST-JSON, camelCase) on the wire: the member operations' paths, the
 * validation and error shapes its SDK model defines (ValidationException carries `reason` and
 * `fields`, ServiceQuotaExceededException `resourceId`), over InspectorModel.
 */
import { InspectorModel, InspectorScanType, SCAN_TYPES } from './inspector-model';
import { ACCOUNT_ID, ADMINISTRATOR_ACCOUNT, paginate, restJson, Route, ServiceDefinition, ServiceError, WireRequest } from './wire';

type Input = Record<string, unknown>;

/** A ValidationException as inspector2 shapes it: the failed field named in `fields`. */
function invalid(field: string, message: string): ServiceError {
  return new ServiceError(400, 'ValidationException', message, { reason: 'FIELD_VALIDATION_FAILED', fields: [{ name: field, message }] });
}

function accountIdOf(b: Input): string {
  if (typeof b.accountId !== 'string' || !ACCOUNT_ID.test(b.accountId)) {
    throw invalid('accountId', `accountId '${String(b.accountId)}' does not match the pattern ^\\d{12}$`);
  }
  return b.accountId;
}

/** `accountIds` of Enable and BatchGetAccountStatus: 0 to 100; none means the calling account. */
function accountIdsOf(b: Input): string[] {
  if (b.accountIds === undefined || b.accountIds === null) return [ADMINISTRATOR_ACCOUNT];
  if (!Array.isArray(b.accountIds) || b.accountIds.length > 100) {
    throw invalid('accountIds', `accountIds must hold at most 100 items, got ${Array.isArray(b.accountIds) ? b.accountIds.length : typeof b.accountIds}`);
  }
  for (const id of b.accountIds) {
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) throw invalid('accountIds', `accountIds: '${String(id)}' does not match the pattern ^\\d{12}$`);
  }
  return b.accountIds.length ? b.accountIds : [ADMINISTRATOR_ACCOUNT];
}

function resourceTypesOf(b: Input): InspectorScanType[] {
  const types = b.resourceTypes;
  if (!Array.isArray(types) || types.length < 1 || types.length > SCAN_TYPES.length) {
    throw invalid('resourceTypes', `resourceTypes must hold 1 to ${SCAN_TYPES.length} items`);
  }
  for (const t of types) {
    if (!SCAN_TYPES.includes(t)) throw invalid('resourceTypes', `resourceTypes: '${String(t)}' is not one of ${SCAN_TYPES.join(', ')}`);
  }
  return types as InspectorScanType[];
}

function maxResultsOf(b: Input): number {
  const n = b.maxResults ?? 50;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 50) throw invalid('maxResults', 'maxResults must be 1 to 50');
  return n as number;
}

function route(operation: string, mutating: boolean, accountIds: unknown, run: () => unknown): Route {
  const ids = Array.isArray(accountIds) ? accountIds.map(String) : typeof accountIds === 'string' ? [accountIds] : [];
  return { operation, mutating, accounts: ids.length, accountIds: ids.length ? ids : undefined, run };
}

export function inspectorService(model: InspectorModel): ServiceDefinition {
  const routes: Record<string, (b: Input) => Route> = {
    '/members/associate': (b) => route('AssociateMember', true, b.accountId, () => model.associate(accountIdOf(b))),
    '/members/disassociate': (b) => route('DisassociateMember', true, b.accountId, () => model.disassociate(accountIdOf(b))),
    '/members/get': (b) => route('GetMember', false, b.accountId, () => ({ member: model.wire(model.get(accountIdOf(b))) })),
    '/members/list': (b) => route('ListMembers', false, [], () => {
      const max = maxResultsOf(b);
      const p = paginate(model.list(b.onlyAssociated !== false), {
        max,
        token: b.nextToken,
        invalidToken: () => invalid('nextToken', 'The nextToken is not valid.'),
      });
      return { members: p.items.map((m) => model.wire(m)), nextToken: p.next };
    }),
    '/enable': (b) => route('Enable', true, b.accountIds, () => model.enable(accountIdsOf(b), resourceTypesOf(b))),
    '/status/batch/get': (b) => route('BatchGetAccountStatus', false, b.accountIds, () => model.accountStatuses(accountIdsOf(b))),
  };
  return {
    name: 'Inspector2',
    signingName: 'inspector2',
    protocol: restJson((e) => ({ message: e.message })),
    // Unsigned requests only: the paths no other service has.
    recognizes: (_method, path) => ['/members/associate', '/members/list', '/enable', '/status/batch/get'].includes(path),
    throttled: () => new ServiceError(429, 'ThrottlingException', 'The limit on the number of requests per second was exceeded.'),
    internalError: () => new ServiceError(500, 'InternalServerException', 'The request has failed due to an internal failure of the Amazon Inspector service.'),
    unknownOperation: (method, path) => new ServiceError(404, 'UnknownOperationException', `no operation at ${method} ${path}`),
    route: ({ method, path, input }: WireRequest) => (method === 'POST' ? routes[path]?.(input) : undefined),
  };
}
