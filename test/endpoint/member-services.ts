/**
 * GuardDuty (REST-JSON, camelCase), Detective and Security Hub (REST-JSON, PascalCase) on the
 * wire: paths, validation and error types as the service models define them, over MemberModel.
 */
import { FeatureRequest, FeatureStatus, INVALID_INPUT } from './guardduty-features';
import { GRAPH_ARN_PATTERN, MemberModel } from './member-model';
import { checkEmail, checkIds, checkMaxResults, paginate, restJson, Route, ServiceDefinition, ServiceError, WireRequest } from './wire';

type Input = Record<string, unknown>;
/** The accounts a call names (account IDs, or account details with their ID). */
const count = (list: unknown): unknown[] => (Array.isArray(list) ? list : []);
const idOf = (item: unknown) => String(typeof item === 'object' && item !== null
  ? (item as { accountId?: string; AccountId?: string }).accountId ?? (item as { AccountId?: string }).AccountId
  : item);

function route(operation: string, mutating: boolean, accounts: number | unknown[], run: () => unknown): Route {
  return Array.isArray(accounts)
    ? { operation, mutating, accounts: accounts.length, accountIds: accounts.map(idOf), run }
    : { operation, mutating, accounts, run };
}

const FEATURE_STATUSES: unknown[] = ['ENABLED', 'DISABLED'];
/** Feature names are an enum that grows (AI_PROTECTION, ...): any name of the enum's form passes, to be stored. */
const FEATURE_NAME = /^[A-Z][A-Z0-9_]{0,127}$/;
const invalidInput = () => new ServiceError(400, 'BadRequestException', INVALID_INPUT);
const isObject = (value: unknown): value is Input => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A `{name, status}` of UpdateMemberDetectors, or GuardDuty's 400 for a value out of its model. */
function nameAndStatus(item: unknown): { name: string; status: FeatureStatus } {
  if (!isObject(item) || typeof item.name !== 'string' || !FEATURE_NAME.test(item.name) || !FEATURE_STATUSES.includes(item.status)) {
    throw invalidInput();
  }
  return { name: item.name, status: item.status as FeatureStatus };
}

/** UpdateMemberDetectors' features, then what its deprecated dataSources say in features' terms. */
function featureRequests(features: unknown, dataSources: unknown): FeatureRequest[] {
  if ((features !== undefined && !Array.isArray(features)) || (dataSources !== undefined && !isObject(dataSources))) throw invalidInput();
  const requests = (features ?? []).map((f: Input) => {
    const configs = f?.additionalConfiguration ?? [];
    if (!Array.isArray(configs)) throw invalidInput();
    return { ...nameAndStatus(f), additionalConfiguration: configs.map(nameAndStatus) };
  });
  const source = (name: string, enable: unknown) => {
    if (enable === undefined) return;
    if (typeof enable !== 'boolean') throw invalidInput();
    requests.push({ name, status: enable ? 'ENABLED' : 'DISABLED', additionalConfiguration: [] });
  };
  type DataSources = { s3Logs?: Input; kubernetes?: { auditLogs?: Input }; malwareProtection?: { scanEc2InstanceWithFindings?: Input } };
  const ds = (dataSources ?? {}) as DataSources;
  source('S3_DATA_EVENTS', ds.s3Logs?.enable);
  source('EKS_AUDIT_LOGS', ds.kubernetes?.auditLogs?.enable);
  source('EBS_MALWARE_PROTECTION', ds.malwareProtection?.scanEc2InstanceWithFindings?.ebsVolumes);
  return requests;
}

/**
 * GuardDuty's members' protection plans (`member/detector/get|update`) and organization
 * configuration (`admin`), after the service's detector check.
 */
function guardDutyPlanRoute(model: MemberModel, checkDetector: () => void, sub: string, request: WireRequest): Route | undefined {
  const { method, query: q, input: b } = request;
  if (method === 'GET' && sub === 'admin') {
    return route('DescribeOrganizationConfiguration', false, 0, () => {
      checkDetector();
      const max = checkMaxResults(q.get('maxResults') ?? undefined, 50, 400, 'BadRequestException');
      const { features, ...configuration } = model.gdOrganizationConfiguration();
      const invalidToken = () => new ServiceError(400, 'BadRequestException', 'The request is rejected because the input nextToken is invalid.');
      const p = paginate(features, { max, token: q.get('nextToken'), invalidToken });
      return { ...configuration, features: p.items, nextToken: p.next };
    });
  }
  if (method !== 'POST') return undefined;
  if (sub === 'get') {
    return route('GetMemberDetectors', false, count(b.accountIds), () => (checkDetector(), model.gdGetDetectors(checkIds(b.accountIds, 'accountIds'))));
  }
  return sub === 'update' ? route('UpdateMemberDetectors', true, count(b.accountIds), () => {
    checkDetector();
    const ids = checkIds(b.accountIds, 'accountIds');
    return model.gdUpdateDetectors(ids, featureRequests(b.features, b.dataSources));
  }) : undefined;
}

export function guardDutyService(model: MemberModel): ServiceDefinition {
  const bad = (message: string) => new ServiceError(400, 'BadRequestException', message);
  const checkDetector = (detectorId: string) => {
    if (detectorId.length < 1 || detectorId.length > 300) {
      throw bad('The request is rejected because the parameter detectorId has an invalid value.');
    }
    if (!model.detectorExists || detectorId !== model.detectorId) {
      throw bad('The request is rejected because the input detectorId is not owned by the current account.');
    }
  };
  const memberRoute = (detectorId: string, sub: string | undefined, b: Input): Route | undefined => {
    switch (sub) {
      case undefined:
        return route('CreateMembers', true, count(b.accountDetails), () => {
          checkDetector(detectorId);
          const details = b.accountDetails as { accountId: string; email: string }[];
          checkIds(Array.isArray(details) ? details.map((d) => d.accountId) : details, 'accountDetails');
          details.forEach((d) => checkEmail(d.email, 400, 'BadRequestException'));
          return model.gdCreate(details);
        });
      case 'get':
        return route('GetMembers', false, count(b.accountIds), () => {
          checkDetector(detectorId);
          const ids = checkIds(b.accountIds, 'accountIds');
          return {
            members: ids.filter((id) => model.guardDuty.has(id)).map((id) => model.gdWire(model.gdRead(model.guardDuty.get(id)!))),
            unprocessedAccounts: ids.filter((id) => !model.guardDuty.has(id)).map((accountId) => ({ accountId, result: 'The request is rejected because the given account ID is not an associated member of account the current account.' })),
          };
        });
      case 'invite':
        return route('InviteMembers', true, count(b.accountIds), () => (checkDetector(detectorId), model.gdInvite(checkIds(b.accountIds, 'accountIds'))));
      case 'disassociate':
        return route('DisassociateMembers', true, count(b.accountIds), () => (checkDetector(detectorId), model.gdDisassociate(checkIds(b.accountIds, 'accountIds'))));
      case 'delete':
        return route('DeleteMembers', true, count(b.accountIds), () => (checkDetector(detectorId), model.gdDelete(checkIds(b.accountIds, 'accountIds'))));
    }
    return undefined;
  };
  return {
    name: 'GuardDuty',
    signingName: 'guardduty',
    protocol: restJson((e) => ({ message: e.message, __type: e.type })),
    recognizes: (_method, path) => path.startsWith('/detector'),
    throttled: () => new ServiceError(429, 'TooManyRequestsException', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalServerErrorException', 'Internal error'),
    unknownOperation: (method, path) => new ServiceError(404, 'UnknownOperationException', `no operation at ${method} ${path}`),
    route: (request: WireRequest) => {
      const { method, path, query: q, input: b } = request;
      if (method === 'GET' && path === '/detector') {
        return route('ListDetectors', false, 0, () => {
          checkMaxResults(q.get('maxResults') ?? undefined, 50, 400, 'BadRequestException');
          return { detectorIds: model.detectorExists ? [model.detectorId] : [] };
        });
      }
      const plans = path.match(/^\/detector\/([^/]+)\/(?:member\/detector\/(get|update)|admin)$/);
      if (plans) return guardDutyPlanRoute(model, () => checkDetector(decodeURIComponent(plans[1])), plans[2] ?? 'admin', request);
      const m = path.match(/^\/detector\/([^/]+)(\/member(\/(get|invite|disassociate|delete))?)?$/);
      if (!m) return undefined;
      const detectorId = decodeURIComponent(m[1]);
      if (method === 'GET' && !m[2]) {
        return route('GetDetector', false, 0, () => {
          checkDetector(detectorId);
          return {
            createdAt: '2026-01-01T00:00:00.000Z',
            findingPublishingFrequency: 'SIX_HOURS',
            serviceRole: 'arn:aws:iam::999999999999:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty',
            status: 'ENABLED',
            updatedAt: '2026-01-01T00:00:00.000Z',
          };
        });
      }
      if (method === 'GET' && m[2] && !m[4]) {
        return route('ListMembers', false, 0, () => {
          checkDetector(detectorId);
          const max = checkMaxResults(q.get('maxResults') ?? undefined, 50, 400, 'BadRequestException');
          const onlyAssociated = q.get('onlyAssociated') !== 'false';
          const all = [...model.guardDuty.values()].map((member) => model.gdRead(member))
            .filter((member) => !onlyAssociated || model.gdAssociated(member));
          const p = paginate(all, { max, token: q.get('nextToken'), invalidToken: () => bad('The request is rejected because the input nextToken is invalid.') });
          return { members: p.items.map((member) => model.gdWire(member)), nextToken: p.next };
        });
      }
      return method === 'POST' && m[2] ? memberRoute(detectorId, m[4], b) : undefined;
    },
  };
}

export function detectiveService(model: MemberModel): ServiceDefinition {
  const invalid = (message: string) => new ServiceError(400, 'ValidationException', message);
  const checkGraph = (arn: unknown) => {
    if (typeof arn !== 'string' || !GRAPH_ARN_PATTERN.test(arn)) throw invalid('GraphArn does not match the pattern');
    if (!model.graphExists || arn !== model.graphArn) {
      throw new ServiceError(404, 'ResourceNotFoundException', 'The request refers to a nonexistent resource.');
    }
  };
  const idsOf = (b: Input) => checkIds(b.AccountIds, 'AccountIds', 400, 'ValidationException');
  return {
    name: 'Detective',
    signingName: 'detective',
    protocol: restJson((e) => ({ Message: e.message })),
    recognizes: (_method, path) => path.startsWith('/graph'),
    throttled: () => new ServiceError(429, 'TooManyRequestsException', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalServerException', 'Internal error'),
    unknownOperation: (method, path) => new ServiceError(404, 'UnknownOperationException', `no operation at ${method} ${path}`),
    route: ({ method, path, input: b }: WireRequest) => {
      if (method !== 'POST') return undefined;
      switch (path) {
        case '/graphs/list':
          return route('ListGraphs', false, 0, () => {
            checkMaxResults(b.MaxResults, 200, 400, 'ValidationException');
            return { GraphList: model.graphExists ? [{ Arn: model.graphArn, CreatedTime: '2026-01-01T00:00:00Z' }] : [] };
          });
        case '/graph/members/list':
          return route('ListMembers', false, 0, () => {
            checkGraph(b.GraphArn);
            const max = checkMaxResults(b.MaxResults, 200, 400, 'ValidationException');
            const all = [...model.detective.values()].map((member) => model.dtRead(member));
            const p = paginate(all, { max, token: b.NextToken, invalidToken: () => invalid('The pagination token is not valid.') });
            return { MemberDetails: p.items.map((member) => model.dtWire(member)), NextToken: p.next };
          });
        case '/graph/members/get':
          return route('GetMembers', false, count(b.AccountIds), () => {
            checkGraph(b.GraphArn);
            const ids = idsOf(b);
            return {
              MemberDetails: ids.filter((id) => model.detective.has(id)).map((id) => model.dtWire(model.dtRead(model.detective.get(id)!))),
              UnprocessedAccounts: ids.filter((id) => !model.detective.has(id)).map((AccountId) => ({ AccountId, Reason: 'Account is not a member of the behavior graph' })),
            };
          });
        case '/graph/members':
          return route('CreateMembers', true, count(b.Accounts), () => {
            checkGraph(b.GraphArn);
            const accounts = b.Accounts as { AccountId: string; EmailAddress: string }[];
            checkIds(Array.isArray(accounts) ? accounts.map((a) => a.AccountId) : accounts, 'Accounts', 400, 'ValidationException');
            accounts.forEach((a) => checkEmail(a.EmailAddress, 400, 'ValidationException'));
            if (b.Message !== undefined && (typeof b.Message !== 'string' || b.Message.length < 1 || b.Message.length > 1000)) {
              throw invalid('Message must be 1 to 1000 characters');
            }
            return model.dtCreate(accounts);
          });
        case '/graph/members/removal':
          return route('DeleteMembers', true, count(b.AccountIds), () => (checkGraph(b.GraphArn), model.dtDelete(idsOf(b))));
      }
      return undefined;
    },
  };
}

export function securityHubService(model: MemberModel): ServiceDefinition {
  const invalid = (message: string) => new ServiceError(400, 'InvalidInputException', message);
  const idsOf = (list: unknown) => checkIds(list, 'AccountIds', 400, 'InvalidInputException');
  /** Every member call needs the hub first. */
  const memberRoute = (operation: string, mutating: boolean, accounts: unknown, run: () => unknown): Route =>
    route(operation, mutating, count(accounts), () => (model.shCheckHub(), run()));
  return {
    name: 'SecurityHub',
    signingName: 'securityhub',
    protocol: restJson((e) => ({ Code: e.type, Message: e.message })),
    recognizes: (_method, path) => path === '/accounts' || path.startsWith('/members'),
    throttled: () => new ServiceError(429, 'TooManyRequestsException', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalException', 'Internal service failure'),
    unknownOperation: (method, path) => new ServiceError(404, 'UnknownOperationException', `no operation at ${method} ${path}`),
    route: ({ method, path, query: q, input: b }: WireRequest) => {
      if (method === 'GET' && path === '/accounts') {
        return route('DescribeHub', false, 0, () => {
          model.shCheckHub();
          const hubArn = q.get('HubArn');
          if (hubArn !== null && hubArn !== model.hubArn) throw new ServiceError(404, 'ResourceNotFoundException', `Hub ${hubArn} not found`);
          return { HubArn: model.hubArn, SubscribedAt: '2026-01-01T00:00:00.000Z', AutoEnableControls: true, ControlFindingGenerator: 'SECURITY_CONTROL' };
        });
      }
      if (method === 'GET' && path === '/members') {
        return memberRoute('ListMembers', false, [], () => {
          const max = checkMaxResults(q.get('MaxResults') ?? undefined, 50, 400, 'InvalidInputException');
          const onlyAssociated = q.get('OnlyAssociated') !== 'false';
          const all = [...model.securityHub.values()].filter((m) => !onlyAssociated || model.shAssociated(m));
          const p = paginate(all, { max, token: q.get('NextToken'), invalidToken: () => invalid('The NextToken value is not valid.') });
          return { Members: p.items.map((m) => model.shWire(m)), NextToken: p.next };
        });
      }
      if (method !== 'POST') return undefined;
      switch (path) {
        case '/members':
          return memberRoute('CreateMembers', true, b.AccountDetails, () => {
            const details = b.AccountDetails as { AccountId: string; Email?: string }[];
            idsOf(Array.isArray(details) ? details.map((d) => d.AccountId) : details);
            details.filter((d) => d.Email !== undefined).forEach((d) => checkEmail(d.Email, 400, 'InvalidInputException'));
            return model.shCreate(details);
          });
        case '/members/invite':
          return memberRoute('InviteMembers', true, b.AccountIds, () => model.shInvite(idsOf(b.AccountIds)));
        case '/members/disassociate':
          return memberRoute('DisassociateMembers', true, b.AccountIds, () => model.shDisassociate(idsOf(b.AccountIds)));
        case '/members/delete':
          return memberRoute('DeleteMembers', true, b.AccountIds, () => model.shDelete(idsOf(b.AccountIds)));
        case '/members/get':
          return memberRoute('GetMembers', false, b.AccountIds, () => {
            const ids = idsOf(b.AccountIds);
            return {
              Members: ids.filter((id) => model.securityHub.has(id)).map((id) => model.shWire(model.securityHub.get(id)!)),
              UnprocessedAccounts: ids.filter((id) => !model.securityHub.has(id)).map((AccountId) => ({ AccountId, ProcessingResult: 'The account is not a member of the administrator account.' })),
            };
          });
      }
      return undefined;
    },
  };
}
