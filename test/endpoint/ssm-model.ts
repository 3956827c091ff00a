/**
 * SSM Parameter Store (AWS JSON 1.1, target AmazonSSM) with its naming, tier and paging rules
 * (test code, never shipped).
 */
import { createHash } from 'crypto';
import { ADMINISTRATOR_ACCOUNT, awsJson, paginate, REGION, Route, ServiceDefinition, ServiceError } from './wire';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type ParameterTier = 'Standard' | 'Advanced';

export interface SsmParameter {
  name: string;
  type: ParameterType;
  tier: ParameterTier;
  /** The plain value, SecureString too: the endpoint encrypts it only on the wire. */
  value: string;
  version: number;
  lastModified: Date;
}

const TYPES = ['String', 'StringList', 'SecureString'];
const VALUE_LIMIT = { Standard: 4096, Advanced: 8192 };
const NAME_LIMIT = 1011;
const LEVEL_LIMIT = 15;
const BAD_NAME = 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of '
  + 'sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

const invalid = (message: string) => new ServiceError(400, 'ValidationException', message);

/** GetParameters and DeleteParameters take 1 to 10 names, phrased as the service phrases a model constraint. */
function checkNames(names: unknown, field: string): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw invalid(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  if (names.length < 1 || names.length > 10) {
    const bound = names.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10';
    throw invalid(`1 validation error detected: Value '[${names.join(', ')}]' at '${field}' failed to satisfy constraint: Member must have length ${bound}`);
  }
  return names as string[];
}

/** The name rules PutParameter enforces (and GetParametersByPath for its path). */
function checkName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || name.length < 1) throw invalid(`1 validation error detected: Value at '${what}' failed to satisfy constraint: Member must not be null`);
  if (name.length > NAME_LIMIT) throw invalid(`Parameter name must not exceed ${NAME_LIMIT} characters.`);
  if (name.includes('/') && !name.startsWith('/')) throw invalid('Parameter name must be a fully qualified name.');
  const levels = name === '/' ? [] : (name.startsWith('/') ? name.slice(1) : name).split('/');
  if (levels.some((level) => !/^[a-zA-Z0-9_.-]+$/.test(level)) || /^(aws|ssm)/i.test(levels[0] ?? '')) throw invalid(BAD_NAME);
  if (levels.length > LEVEL_LIMIT) {
    throw new ServiceError(400, 'HierarchyLevelLimitExceededException', `A hierarchy can have a maximum of ${LEVEL_LIMIT} levels.`);
  }
  return name;
}

/**
 * GetParametersByPath's ParameterFilters: only the `Type` key (`Equals`) is modelled; KeyId and
 * Label, which the service also accepts there, are refused as unmodelled.
 */
function typeFilter(filters: unknown): string[] | undefined {
  if (filters === undefined) return undefined;
  if (!Array.isArray(filters)) throw invalid("1 validation error detected: Value at 'parameterFilters' failed to satisfy constraint: Member must not be null");
  let types: string[] | undefined;
  for (const filter of filters as { Key?: string; Option?: string; Values?: string[] }[]) {
    if (filter.Key !== 'Type') throw invalid(`The filter key ${String(filter.Key)} is not modeled by this endpoint.`);
    if (filter.Option !== undefined && filter.Option !== 'Equals') throw invalid(`The filter option ${filter.Option} is not valid for key Type.`);
    if (!Array.isArray(filter.Values) || filter.Values.length < 1 || filter.Values.some((v) => !TYPES.includes(v))) {
      throw invalid('The filter value is not valid for key Type: use String, StringList or SecureString.');
    }
    types = filter.Values;
  }
  return types;
}

/** The opaque ciphertext a SecureString read without decryption gets. */
function encrypted(p: SsmParameter): string {
  return `AQICAH${createHash('sha256').update(`${p.name}|${p.version}|${p.value}`).digest('base64')}`;
}

export class SsmModel {
  readonly parameters = new Map<string, SsmParameter>();

  put(input: Record<string, unknown>): { Version: number; Tier: ParameterTier } {
    const name = checkName(input.Name);
    const existing = this.parameters.get(name);
    const value = input.Value;
    if (typeof value !== 'string' || value.length < 1) {
      throw invalid("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
    }
    if (input.Type !== undefined && !TYPES.includes(input.Type as string)) {
      throw invalid(`1 validation error detected: Value '${String(input.Type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`);
    }
    const tier = this.tierFor(input.Tier, value, existing);
    if (value.length > VALUE_LIMIT[tier]) {
      throw invalid(tier === 'Standard'
        ? 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.'
        : "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to 8192");
    }
    if (existing && input.Overwrite !== true) {
      throw new ServiceError(400, 'ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    if (existing && input.Tags !== undefined) throw invalid("Invalid request: tags and overwrite can't be used together.");
    if (!existing && input.Type === undefined) throw invalid('A parameter type is required when you create a parameter.');
    const type = (input.Type ?? existing!.type) as ParameterType;
    if (existing && type !== existing.type) {
      throw new ServiceError(400, 'HierarchyTypeMismatchException', 'Parameter Store does not support changing a parameter type in a hierarchy. You must create a new, unique parameter.');
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { name, type, tier, value, version, lastModified: new Date() });
    return { Version: version, Tier: tier };
  }

  /** Standard unless asked otherwise; an advanced parameter never goes back to standard. */
  private tierFor(requested: unknown, value: string, existing: SsmParameter | undefined): ParameterTier {
    if (requested === 'Intelligent-Tiering') return existing?.tier === 'Advanced' || value.length > VALUE_LIMIT.Standard ? 'Advanced' : 'Standard';
    if (requested === undefined) return existing?.tier ?? 'Standard';
    if (requested !== 'Standard' && requested !== 'Advanced') {
      throw invalid(`1 validation error detected: Value '${String(requested)}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]`);
    }
    if (requested === 'Standard' && existing?.tier === 'Advanced') {
      throw invalid("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.");
    }
    return requested;
  }

  wire(p: SsmParameter, decrypt: unknown) {
    return {
      Name: p.name,
      Type: p.type,
      Value: p.type === 'SecureString' && decrypt !== true ? encrypted(p) : p.value,
      Version: p.version,
      LastModifiedDate: p.lastModified.getTime() / 1000,
      ARN: `arn:aws:ssm:${REGION}:${ADMINISTRATOR_ACCOUNT}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
      DataType: 'text',
    };
  }

  /** Parameters below `path`: its direct children, or every level below with `recursive`. */
  below(path: string, recursive: boolean): SsmParameter[] {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return [...this.parameters.values()]
      .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

function ssmRoute(model: SsmModel, operation: string, b: Record<string, unknown>): Route | undefined {
  const notFound = (name: unknown) => new ServiceError(400, 'ParameterNotFound', `Parameter ${String(name)} not found.`);
  const get = (name: unknown) => (typeof name === 'string' ? model.parameters.get(name) : undefined);
  const route = (mutating: boolean, run: () => unknown): Route => ({ operation, mutating, accounts: 0, run });
  switch (operation) {
    case 'PutParameter':
      return route(true, () => model.put(b));
    case 'GetParameter':
      return route(false, () => {
        const p = get(b.Name);
        if (!p) throw notFound(b.Name);
        return { Parameter: model.wire(p, b.WithDecryption) };
      });
    case 'GetParameters':
      return route(false, () => {
        const names = checkNames(b.Names, 'names');
        return {
          Parameters: names.filter((n) => model.parameters.has(n)).map((n) => model.wire(model.parameters.get(n)!, b.WithDecryption)),
          InvalidParameters: names.filter((n) => !model.parameters.has(n)),
        };
      });
    case 'GetParametersByPath':
      return route(false, () => {
        if (typeof b.Path !== 'string' || !b.Path.startsWith('/')) throw invalid('The parameter path must begin with a forward slash "/".');
        // A trailing slash names the same path.
        const path = checkName(b.Path.length > 1 ? b.Path.replace(/\/$/, '') : b.Path, 'path');
        const types = typeFilter(b.ParameterFilters);
        const max = b.MaxResults === undefined ? 10 : Number(b.MaxResults);
        if (!Number.isInteger(max) || max < 1 || max > 10) {
          throw invalid(`1 validation error detected: Value '${String(b.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10`);
        }
        const p = paginate(model.below(path, b.Recursive === true).filter((item) => !types || types.includes(item.type)), {
          max, token: b.NextToken, invalidToken: () => new ServiceError(400, 'InvalidNextToken', 'The specified token isn\'t valid.'),
        });
        return { Parameters: p.items.map((item) => model.wire(item, b.WithDecryption)), NextToken: p.next };
      });
    case 'DeleteParameter':
      return route(true, () => {
        if (!get(b.Name)) throw notFound(b.Name);
        model.parameters.delete(b.Name as string);
        return {};
      });
    case 'DeleteParameters':
      return route(true, () => {
        const names = checkNames(b.Names, 'names');
        const deleted = names.filter((n) => model.parameters.delete(n));
        return { DeletedParameters: deleted, InvalidParameters: names.filter((n) => !deleted.includes(n)) };
      });
  }
  return undefined;
}

const TARGET = 'AmazonSSM.';

export function ssmService(model: SsmModel): ServiceDefinition {
  return {
    name: 'SSM',
    signingName: 'ssm',
    protocol: awsJson('1.1', { messageKey: 'message' }),
    recognizes: (_method, _path, headers) => String(headers['x-amz-target'] ?? '').startsWith(TARGET),
    throttled: () => new ServiceError(400, 'ThrottlingException', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalServerError', 'An error occurred on the server side.'),
    unknownOperation: () => new ServiceError(400, 'UnknownOperationException', 'The operation is not modeled by this endpoint.'),
    route: ({ method, headers, input }) => {
      const target = String(headers['x-amz-target'] ?? '');
      return method === 'POST' && target.startsWith(TARGET) ? ssmRoute(model, target.slice(TARGET.length), input) : undefined;
    },
  };
}
