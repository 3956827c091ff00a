/**
 * Wire-protocol helpers of the local AWS endpoint (test code, never shipped): how each protocol
 * the SDK v3 clients speak decodes a request and encodes an answer or an error, plus the
 * validation, paging and seeded-dice helpers the service models share.
 */
import * as http from 'http';

/** The services the endpoint serves; lower-cased, each is its IAM action prefix. */
export type ServiceName = 'GuardDuty' | 'Detective' | 'SecurityHub' | 'Inspector2' | 'Macie2' | 'SSM' | 'CloudFormation' | 'Organizations'
| 'CloudWatch' | 'STS';

export const ADMINISTRATOR_ACCOUNT = '999999999999';
export const REGION = 'us-east-1';
export const ACCOUNT_ID = /^\d{12}$/;
const EMAIL = /^.+@.+$/;

/** A modeled service error: HTTP status, error type (shape name or query code), message and extra members. */
export class ServiceError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly fields: Record<string, unknown> = {}) {
    super(message);
  }
}

/** One request as a service sees it once its protocol has decoded the body. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  /** The JSON body, or the form fields of a Query request. */
  readonly input: Record<string, unknown>;
}

/** One operation of a request, bound to its input. */
export interface Route {
  readonly operation: string;
  readonly mutating: boolean;
  /** How many accounts the call names (the batch size the call log reports). */
  readonly accounts: number;
  /** Which accounts it names. */
  readonly accountIds?: readonly string[];
  run(): unknown;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface Protocol {
  decode(body: Buffer): Record<string, unknown>;
  success(operation: string, result: unknown, requestId: string): Reply;
  failure(error: ServiceError, requestId: string, request: { headers: http.IncomingHttpHeaders }): Reply;
}

export interface ServiceDefinition {
  readonly name: ServiceName;
  /** The service in a SigV4 credential scope. */
  readonly signingName: string;
  readonly protocol: Protocol;
  /** Without a credential scope: whether the request's path, target or action belongs to this service. */
  recognizes(method: string, path: string, headers: http.IncomingHttpHeaders, body: Buffer): boolean;
  route(request: WireRequest): Route | undefined;
  /** What the service answers when a request is over its rate. */
  throttled(): ServiceError;
  internalError(): ServiceError;
  unknownOperation(method: string, path: string): ServiceError;
}

/** `Credential=<key>/<date>/<region>/<service>/aws4_request` of a SigV4 Authorization header. */
export function credentialScopeService(headers: http.IncomingHttpHeaders): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '')?.[1];
}

/** The region of a SigV4 Authorization header's credential scope. */
export function credentialScopeRegion(headers: http.IncomingHttpHeaders): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([^/]+)\//.exec(headers.authorization ?? '')?.[1];
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value = body.length ? JSON.parse(body.toString('utf8')) : {};
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

function jsonReply(status: number, payload: unknown, requestId: string, headers: Record<string, string> = {}, contentType = 'application/json'): Reply {
  return { status, headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, ...headers }, body: JSON.stringify(payload ?? {}) };
}

/** REST-JSON: the error type in `x-amzn-ErrorType`, the body as the service writes it. */
export function restJson(errorBody: (error: ServiceError) => object): Protocol {
  return {
    decode: parseJson,
    success: (_operation, result, requestId) => jsonReply(200, result, requestId),
    failure: (error, requestId) => jsonReply(error.status, { ...errorBody(error), ...error.fields }, requestId, { 'x-amzn-errortype': error.type }),
  };
}

/**
 * AWS JSON 1.0 / 1.1: `__type` and the message in the body (and `x-amzn-ErrorType`). A
 * query-compatible service (CloudWatch) also names the legacy Query error code in
 * `x-amzn-query-error` when the client asks with `x-amzn-query-mode`; the SDK then names the
 * error by that code.
 */
export function awsJson(version: '1.0' | '1.1', options: { messageKey: string; queryCompatible?: { namespace: string; codes: Record<string, string> } }): Protocol {
  const contentType = `application/x-amz-json-${version}`;
  return {
    decode: parseJson,
    success: (_operation, result, requestId) => jsonReply(200, result, requestId, {}, contentType),
    failure: (error, requestId, request) => {
      const compat = options.queryCompatible;
      const headers: Record<string, string> = { 'x-amzn-errortype': error.type };
      if (compat && request.headers['x-amzn-query-mode'] === 'true') {
        headers['x-amzn-query-error'] = `${compat.codes[error.type] ?? error.type};${error.status < 500 ? 'Sender' : 'Receiver'}`;
      }
      const type = compat ? `${compat.namespace}#${error.type}` : error.type;
      return jsonReply(error.status, { __type: type, [options.messageKey]: error.message, ...error.fields }, requestId, headers, contentType);
    },
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Query-protocol XML: lists as `<member>` elements, timestamps ISO 8601, absent members left out. */
function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml('member', v)).join('')}</${name}>`;
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** AWS Query: form-encoded requests, `<Action>Response`/`<Action>Result` XML answers, `<ErrorResponse>` errors. */
export function awsQuery(xmlns: string): Protocol {
  const xmlReply = (status: number, xml: string): Reply => ({ status, headers: { 'content-type': 'text/xml' }, body: xml });
  return {
    decode: (body) => Object.fromEntries(new URLSearchParams(body.toString('utf8'))),
    success: (operation, result, requestId) => xmlReply(200,
      `<${operation}Response xmlns="${xmlns}">${toXml(`${operation}Result`, result ?? {})}`
      + `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`),
    failure: (error, requestId) => xmlReply(error.status,
      `<ErrorResponse xmlns="${xmlns}"><Error><Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>`
      + `<Code>${escapeXml(error.type)}</Code><Message>${escapeXml(error.message)}</Message></Error>`
      + `<RequestId>${requestId}</RequestId></ErrorResponse>`),
  };
}

/* eslint-disable no-bitwise -- hashing and the PRNG are bit arithmetic */
/** FNV-1a: a string to a 32-bit seed. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
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

export interface PageOptions {
  readonly max: number;
  readonly token: unknown;
  /** The error an unreadable token gets. */
  readonly invalidToken: () => ServiceError;
  /**
   * Short pages: how many items the page at this offset holds (0 to max), given how many empty
   * pages came just before. Pages always move on eventually: two empty pages never follow each other.
   */
  readonly size?: (offset: number, emptyRun: number) => number;
}

/** One page of `items`; the token is `<offset>` or `<offset>:<empty pages just before>`. */
export function paginate<T>(items: T[], options: PageOptions): { items: T[]; next?: string } {
  let offset = 0;
  let emptyRun = 0;
  if (options.token !== undefined && options.token !== null && options.token !== '') {
    const m = /^(\d+)(?::(\d+))?$/.exec(String(options.token));
    if (!m || Number(m[1]) > items.length) throw options.invalidToken();
    offset = Number(m[1]);
    emptyRun = Number(m[2] ?? 0);
  }
  let size = options.max;
  if (options.size) {
    size = Math.min(options.max, options.size(offset, emptyRun));
    if (size === 0 && emptyRun > 0) size = 1;
  }
  const end = Math.min(items.length, offset + size);
  const next = end < items.length ? (end === offset ? `${end}:${emptyRun + 1}` : String(end)) : undefined;
  return { items: items.slice(offset, end), next };
}

export function checkIds(ids: unknown, field: string, status = 400, type = 'BadRequestException'): string[] {
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

export function checkEmail(email: unknown, status: number, type: string) {
  if (typeof email !== 'string' || email.length < 1 || email.length > 64 || !EMAIL.test(email)) {
    throw new ServiceError(status, type, 'email address is invalid');
  }
}

export function checkMaxResults(value: unknown, max: number, status: number, type: string): number {
  if (value === undefined || value === null) return max;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ServiceError(status, type, `maxResults must be 1 to ${max}`);
  }
  return n;
}
