/**
 * A local multi-service AWS endpoint (test code, never shipped): GuardDuty, Detective, Security
 * Hub, Inspector, Macie, SSM Parameter Store, CloudFormation DescribeStacks, Organizations and
 * CloudWatch PutMetricData, each in the wire protocol its SDK v3 client speaks, over stateful models, with
 * seeded fault injection, per-service rate limits and a call log. Listens on 127.0.0.1 only.
 *
 * A request goes to the service of its SigV4 credential scope; without one, to the service
 * whose paths, X-Amz-Target or Query action it carries.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { gunzipSync } from 'zlib';
import { CloudFormationModel, cloudFormationService } from './cloudformation-model';
import { CloudWatchModel, cloudWatchService } from './cloudwatch-model';
import { InspectorModel } from './inspector-model';
import { inspectorService } from './inspector-service';
import { MacieModel } from './macie-model';
import { macieService } from './macie-service';
import { MemberModel } from './member-model';
import { detectiveService, guardDutyService, securityHubService } from './member-services';
import { OrganizationsModel, organizationsService } from './organizations-model';
import { SsmModel, ssmService } from './ssm-model';
import { StsModel, stsService } from './sts-model';
import { credentialScopeRegion, credentialScopeService, hash, random, Reply, ServiceDefinition, ServiceError, ServiceName } from './wire';

export { GRAPH_ARN_PATTERN, MemberModel } from './member-model';
export type { DisabledReason, Member, MemberService, StatusCase } from './member-model';
export type { AutoEnableMembers, FeatureState, FeatureStates, FeatureStatus } from './guardduty-features';
export { SsmModel } from './ssm-model';
export type { ParameterTier, ParameterType, SsmParameter } from './ssm-model';
export { CloudFormationModel } from './cloudformation-model';
export type { StackRecord } from './cloudformation-model';
export { OrganizationsModel } from './organizations-model';
export type { AccountState, OrganizationAccount, OrganizationalUnit } from './organizations-model';
export { CloudWatchModel } from './cloudwatch-model';
export type { RecordedMetric } from './cloudwatch-model';
export { InspectorModel } from './inspector-model';
export type { EnableFailure, InspectorMember, InspectorScanType, InspectorStatus, SettleAfter } from './inspector-model';
export { MacieModel } from './macie-model';
export type { BurstLimit, MacieInvitation, MacieMember, MacieStatus } from './macie-model';
export type { ServiceName } from './wire';

export interface Rate {
  readonly perSecond: number;
  /** Bucket capacity; default: one second's worth (perSecond). */
  readonly burst?: number;
}

export interface Faults {
  /** Added to every answer, in milliseconds. */
  readonly latencyMs?: number;
  /** Share of calls answered with the service's throttling error before doing anything. */
  readonly throttleRate?: number;
  /** Share of calls answered with the service's HTTP 500 error before doing anything. */
  readonly errorRate?: number;
  /** Share of mutating calls applied whose connection is then dropped with no answer. */
  readonly lostRate?: number;
  /**
   * A service-side rate limit of each member service (GuardDuty, Detective, Security Hub,
   * Inspector, Macie, one token bucket each): refilled at this many requests per second, holding
   * one second's worth; a request finding it empty gets the service's throttling error.
   */
  readonly requestsPerSecond?: number;
  /**
   * Rate limits by service (`'Organizations'`) or operation (`'SSM:PutParameter'`), a token
   * bucket per key; the most specific key wins, and a key here wins over requestsPerSecond.
   */
  readonly rates?: Record<string, Rate>;
}

/** A call as `intercept` sees it, before it is applied. */
export interface InterceptedCall {
  readonly service: ServiceName;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

export interface CallRecord {
  /** Absent when no service had the operation. */
  readonly service?: ServiceName;
  readonly operation: string;
  readonly accounts: number;
  /** The accounts it names (member calls). */
  readonly accountIds?: readonly string[];
  /** 'ok', 'throttled', 'error', 'lost' or an error type. */
  readonly outcome: string;
  /** The region the request was signed for. */
  readonly region?: string;
  /** The parameter a Parameter Store call names (PutParameter, GetParameter). */
  readonly name?: string;
  /** When it was answered (performance.now()). */
  readonly at?: number;
}

export interface Endpoint {
  readonly url: string;
  readonly model: MemberModel;
  readonly inspector: InspectorModel;
  readonly macie: MacieModel;
  readonly ssm: SsmModel;
  readonly cloudFormation: CloudFormationModel;
  readonly organizations: OrganizationsModel;
  readonly cloudWatch: CloudWatchModel;
  readonly sts: StsModel;
  readonly calls: CallRecord[];
  faults: Faults;
  /** The rate limits' clock in milliseconds (performance.now); a test may set its own to refill buckets exactly. */
  now: () => number;
  /** Highest number of requests in flight at once, across services. */
  peakConcurrency: number;
  /**
   * Called for each call before it is applied; a promise it returns holds the call until it
   * settles (a slow write, a lost race), as a test decides.
   */
  intercept?: (call: InterceptedCall) => Promise<void> | undefined;
  /** Whether to drop the connection of this mutating call once it is applied (a lost response), as a test decides. */
  loseResponse?: (call: InterceptedCall) => boolean;
  /** Calls of this operation in any service. */
  count(operation: string, outcome?: string): number;
  countFor(service: ServiceName, operation: string, outcome?: string): number;
  maxAccountsPerCall(): number;
  stop(): Promise<void>;
}

const MEMBER_SERVICES: ServiceName[] = ['GuardDuty', 'Detective', 'SecurityHub', 'Inspector2', 'Macie2'];

interface Bucket {
  tokens: number;
  at: number;
  readonly perSecond: number;
  readonly burst: number;
}

/** The rate limit a call falls under, with the key of its bucket. */
function rateFor(faults: Faults, service: ServiceName, operation: string): { key: string; perSecond: number; burst: number } | undefined {
  for (const key of [`${service}:${operation}`, service]) {
    const rate = faults.rates?.[key];
    if (rate) return { key, perSecond: rate.perSecond, burst: rate.burst ?? rate.perSecond };
  }
  if (faults.requestsPerSecond && MEMBER_SERVICES.includes(service)) {
    return { key: service, perSecond: faults.requestsPerSecond, burst: faults.requestsPerSecond };
  }
  return undefined;
}

/** The body as sent: CloudWatch's client gzips large PutMetricData requests. */
function requestBody(chunks: Buffer[], headers: http.IncomingHttpHeaders): Buffer {
  const body = Buffer.concat(chunks);
  try {
    return headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  } catch {
    return Buffer.alloc(0);
  }
}

export async function startEndpoint(options: { seed?: number; faults?: Faults } = {}): Promise<Endpoint> {
  const seed = options.seed ?? 1;
  const model = new MemberModel();
  const inspector = new InspectorModel();
  const macie = new MacieModel();
  const ssm = new SsmModel();
  const cloudFormation = new CloudFormationModel();
  const organizations = new OrganizationsModel(seed);
  const cloudWatch = new CloudWatchModel();
  const sts = new StsModel();
  const services: ServiceDefinition[] = [
    // Inspector and Macie before Security Hub: all three have paths under /members, and an unsigned
    // request is told apart by the paths only Inspector or Macie have.
    guardDutyService(model), detectiveService(model), inspectorService(inspector), macieService(macie), securityHubService(model),
    // STS before CloudFormation: both speak AWS Query, and an unsigned request is told apart by its Action.
    ssmService(ssm), stsService(sts), cloudFormationService(cloudFormation), organizationsService(organizations), cloudWatchService(cloudWatch),
  ];
  const bySigningName = new Map(services.map((s) => [s.signingName, s]));
  const serviceOf = (method: string, path: string, headers: http.IncomingHttpHeaders, body: Buffer): ServiceDefinition => {
    const scoped = bySigningName.get(credentialScopeService(headers) ?? '');
    // Unknown requests are answered as GuardDuty answered them before the other services came.
    return scoped ?? services.find((s) => s.recognizes(method, path, headers, body)) ?? services[0];
  };

  const attempts = new Map<string, number>();
  /**
   * Fault dice for one request, derived from the seed, the operation, its input and how often
   * that same request came before: a seed replays exactly, whatever the interleaving.
   * GuardDuty and Detective keep the key they had before the other services joined, so their
   * recorded seeds replay the same faults.
   */
  const dice = (service: ServiceName, operation: string, search: string, input: Record<string, unknown>) => {
    const key = service === 'GuardDuty' || service === 'Detective'
      ? `${operation} ${JSON.stringify(input)}`
      : `${service}:${operation}${search} ${JSON.stringify(input)}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    return random(hash(`${seed}|${key}|${attempt}`));
  };

  const buckets = new Map<string, Bucket>();
  /** Takes a token from the call's rate-limit bucket; false when the call is over the limit. */
  const withinRate = (service: ServiceName, operation: string): boolean => {
    const rate = rateFor(endpoint.faults, service, operation);
    if (!rate) return true;
    const now = endpoint.now();
    let bucket = buckets.get(rate.key);
    if (!bucket || bucket.perSecond !== rate.perSecond || bucket.burst !== rate.burst) {
      // A new or changed limit starts with a full bucket.
      bucket = { tokens: rate.burst, at: now, perSecond: rate.perSecond, burst: rate.burst };
      buckets.set(rate.key, bucket);
    } else {
      bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * rate.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const calls: CallRecord[] = [];
  const matches = (c: CallRecord, operation: string, outcome?: string) =>
    c.operation === operation && (outcome === undefined || c.outcome === outcome);
  let inFlight = 0;
  const endpoint: Endpoint = {
    url: '',
    model,
    inspector,
    macie,
    ssm,
    cloudFormation,
    organizations,
    cloudWatch,
    sts,
    calls,
    faults: options.faults ?? {},
    now: () => performance.now(),
    peakConcurrency: 0,
    count: (operation, outcome) => calls.filter((c) => matches(c, operation, outcome)).length,
    countFor: (service, operation, outcome) => calls.filter((c) => c.service === service && matches(c, operation, outcome)).length,
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
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = requestBody(chunks, req.headers);
      const service = serviceOf(method, url.pathname, req.headers, body);
      const input = service.protocol.decode(body);
      const r = service.route({ method, path: url.pathname, query: url.searchParams, headers: req.headers, input });
      const requestId = `req-${calls.length}`;
      const reply = (answer: Reply) => {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      };
      const fail = (error: ServiceError) => reply(service.protocol.failure(error, requestId, req));
      const record = (outcome: string) => calls.push({
        service: r ? service.name : undefined,
        operation: r ? r.operation : `${method} ${url.pathname}`,
        accounts: r ? r.accounts : 0,
        accountIds: r?.accountIds,
        outcome,
        region: credentialScopeRegion(req.headers),
        name: typeof input.Name === 'string' ? input.Name : undefined,
        at: performance.now(),
      });
      const faults = endpoint.faults;
      try {
        if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
        if (!r) {
          const unknown = service.unknownOperation(method, url.pathname);
          record(unknown.type);
          fail(unknown);
          return;
        }
        await endpoint.intercept?.({ service: service.name, operation: r.operation, input });
        const rand = dice(service.name, r.operation, url.search, input);
        if (rand() < (faults.throttleRate ?? 0) || !withinRate(service.name, r.operation)) {
          record('throttled');
          fail(service.throttled());
          return;
        }
        if (rand() < (faults.errorRate ?? 0)) {
          record('error');
          fail(service.internalError());
          return;
        }
        const result = r.run();
        if (r.mutating && (rand() < (faults.lostRate ?? 0) || endpoint.loseResponse?.({ service: service.name, operation: r.operation, input }))) {
          record('lost');
          req.socket.destroy();
          return;
        }
        record('ok');
        reply(service.protocol.success(r.operation, result, requestId));
      } catch (err) {
        if (err instanceof ServiceError) {
          // A model's own throttling (Macie's CreateMember bursts) is logged as the endpoint's is.
          record(err.status === 429 ? 'throttled' : err.type);
          fail(err);
        } else {
          record('InternalFailure');
          fail(new ServiceError(500, 'InternalFailure', String(err)));
        }
      } finally {
        inFlight--;
      }
    });
  });
  // Idle keep-alive connections stay open, as AWS's endpoints keep them far beyond Node's 5 s
  // default: a test busy elsewhere for longer would otherwise send its next call on a socket the
  // server is closing ("socket hang up", which clients with one attempt do not retry).
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (endpoint as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return endpoint;
}
