/**
 * The handler's SDK clients retry throttling and server errors: these tests run the real client
 * middleware (no send() mock) over a scripted HTTP handler.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DetectiveClient } from '@aws-sdk/client-detective';
import { GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { SSMClient } from '@aws-sdk/client-ssm';
import { HttpResponse } from '@smithy/core/protocols';
import { cfnEvent, clientsOf, GRAPH_ARN, lambdaContext, withEndpointEnv } from './fakes';
import { clientConfig, handleEvent, handler as lambdaHandler, invocationClients, MAX_ATTEMPTS, RATE_LIMITER_OPTIONS } from '../../src/private/reconcile.lambda';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

interface Scripted {
  readonly status: number;
  readonly body?: object;
  readonly errorType?: string;
}

/** Answers each "METHOD path" with the next scripted response, the last one repeating. */
function scriptedHandler(script: Record<string, Scripted[]>) {
  const seen: string[] = [];
  return {
    seen,
    handler: {
      async handle(request: { method: string; path: string }) {
        const key = `${request.method} ${request.path}`;
        seen.push(key);
        const queue = script[key];
        if (!queue) {
          throw new Error(`unexpected request ${key}`);
        }
        const next = queue.length > 1 ? queue.shift()! : queue[0];
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (next.errorType) {
          headers['x-amzn-errortype'] = next.errorType;
        }
        return { response: new HttpResponse({ statusCode: next.status, headers, body: Buffer.from(JSON.stringify(next.body ?? {})) }) };
      },
    },
  };
}

const clientOptions = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ACCOUNT = '111111111111';

let endpoint: Endpoint;
/** The ledger's and the stack status's clients, on the local endpoint. */
const ledgerClients = () => {
  const wire = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' } };
  return [new SSMClient(wire), new CloudFormationClient(wire)];
};

beforeEach(async () => {
  endpoint = await startEndpoint();
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await endpoint.stop();
});

test('the clients use the adaptive retry strategy with room for throttling, one rate limiter per client', () => {
  const config = clientConfig();
  expect(config.maxAttempts).toBe(MAX_ATTEMPTS);
  expect(MAX_ATTEMPTS).toBeGreaterThanOrEqual(5);
  expect(config.retryStrategy.mode).toBe('adaptive');
  expect(clientConfig().retryStrategy).not.toBe(config.retryStrategy);
});

test('throttled retries back off from 250 ms, other retryable errors from the SDK\'s 50 ms, with full jitter', async () => {
  jest.spyOn(Math, 'random').mockReturnValue(0.999);
  const strategy = clientConfig().retryStrategy;
  const delay = (token: unknown) => (token as { $retryLog: { acquisitionDelay: number } }).$retryLog.acquisitionDelay;
  const first = await strategy.acquireInitialRetryToken('GuardDuty');
  const throttled = await strategy.refreshRetryTokenForRetry(first as never, { errorType: 'THROTTLING' });
  expect(delay(throttled)).toBe(249);
  expect(delay(await strategy.refreshRetryTokenForRetry(throttled as never, { errorType: 'THROTTLING' }))).toBe(499);
  expect(delay(await strategy.refreshRetryTokenForRetry(first as never, { errorType: 'TRANSIENT' }))).toBe(49);
  // A throttle before the limiter has measured anything leaves it at its floor, not 0.5 requests/s.
  expect((strategy as unknown as { rateLimiter: { fillRate: number } }).rateLimiter.fillRate).toBe(RATE_LIMITER_OPTIONS.minFillRate);
});

test('GuardDuty: throttling (429) and 5xx answers are retried until the calls go through', async () => {
  const throttled = { status: 429, errorType: 'TooManyRequestsException', body: { message: 'Rate exceeded' } };
  const unavailable = { status: 503, errorType: 'InternalServerErrorException', body: { message: 'Internal error' } };
  const { seen, handler } = scriptedHandler({
    'GET /detector/d1/member': [throttled, throttled, { status: 200, body: { members: [] } }],
    'POST /detector/d1/member': [unavailable, { status: 200, body: { unprocessedAccounts: [] } }],
    'POST /detector/d1/member/get': [throttled, { status: 200, body: { members: [{ accountId: ACCOUNT, email: 'a@example.com', relationshipStatus: 'Created' }] } }],
    'POST /detector/d1/member/invite': [throttled, { status: 200, body: { unprocessedAccounts: [] } }],
  });
  const gd = new GuardDutyClient({ ...clientOptions, ...clientConfig(), requestHandler: handler });
  const clients = clientsOf(gd, ...ledgerClients());

  const response = await handleEvent(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: 'd1', Members: [`${ACCOUNT}:a@example.com`] }), lambdaContext, clients);

  expect(response.Data).toMatchObject({ Created: 1, Invited: 1, Unprocessed: 0 });
  expect(seen).toEqual([
    'GET /detector/d1/member', 'GET /detector/d1/member', 'GET /detector/d1/member',
    'POST /detector/d1/member', 'POST /detector/d1/member',
    'POST /detector/d1/member/get', 'POST /detector/d1/member/get',
    'POST /detector/d1/member/invite', 'POST /detector/d1/member/invite',
  ]);
}, 30_000);

test('Detective: TooManyRequestsException is retried', async () => {
  const { seen, handler } = scriptedHandler({
    'POST /graph/members/list': [{ status: 429, errorType: 'TooManyRequestsException', body: { Message: 'slow down' } }, { status: 200, body: { MemberDetails: [] } }],
    'POST /graph/members': [{ status: 200, body: { Members: [], UnprocessedAccounts: [] } }],
  });
  const dt = new DetectiveClient({ ...clientOptions, ...clientConfig(), requestHandler: handler });
  const clients = clientsOf(dt, ...ledgerClients());

  const response = await handleEvent(cfnEvent('Create', { Service: 'Detective', GraphArn: GRAPH_ARN, Members: [`${ACCOUNT}:a@example.com`] }), lambdaContext, clients);

  expect(response.Data).toMatchObject({ Created: 1, Invited: 1 });
  expect(seen).toEqual(['POST /graph/members/list', 'POST /graph/members/list', 'POST /graph/members']);
}, 30_000);

test('a client error (400) is not retried and ends as a reason naming operation and account', async () => {
  const { seen, handler } = scriptedHandler({
    'GET /detector/d1/member': [{ status: 200, body: { members: [] } }],
    'POST /detector/d1/member': [{ status: 400, errorType: 'BadRequestException', body: { message: 'The request is rejected because an invalid or out-of-range value is specified.' } }],
    'POST /detector/d1/member/get': [{ status: 200, body: { members: [], unprocessedAccounts: [{ accountId: ACCOUNT, result: 'not a member' }] } }],
  });
  const gd = new GuardDutyClient({ ...clientOptions, ...clientConfig(), requestHandler: handler });
  const clients = clientsOf(gd, ...ledgerClients());

  await expect(handleEvent(cfnEvent('Create', { Service: 'GuardDuty', DetectorId: 'd1', Members: [`${ACCOUNT}:a@example.com`] }), lambdaContext, clients))
    .rejects.toThrow(`CreateMembers, 1 account: "BadRequestException: The request is rejected because an invalid or out-of-range value is specified." (${ACCOUNT})`);
  expect(seen.filter((s) => s === 'POST /detector/d1/member')).toHaveLength(1);
});

describe('retry quota across invocations', () => {
  const unavailable = { status: 503, errorType: 'InternalServerErrorException', body: { message: 'Internal error' } };

  async function attemptsOfOneCall(client: GuardDutyClient, seen: string[]): Promise<number> {
    const before = seen.length;
    await client.send(new ListDetectorsCommand({})).catch(() => undefined);
    return seen.length - before;
  }

  test('a brownout drains one client\'s retry quota; the next invocation\'s clients get their full attempts', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0); // no backoff delay in this test
    const { seen, handler } = scriptedHandler({ 'GET /detector': [unavailable] });
    const brownout = invocationClients({ ...clientOptions, requestHandler: handler })(GuardDutyClient);
    const attempts: number[] = [];
    for (let i = 0; i < 15; i++) attempts.push(await attemptsOfOneCall(brownout, seen));
    expect(attempts[0]).toBe(MAX_ATTEMPTS);
    // The SDK's retry quota (shared by every call of one client) is spent: later calls get one attempt.
    expect(attempts[attempts.length - 1]).toBe(1);

    const next = invocationClients({ ...clientOptions, requestHandler: handler })(GuardDutyClient);
    expect(await attemptsOfOneCall(next, seen)).toBe(MAX_ATTEMPTS);
  });

  test('the Lambda entry point builds new clients for every invocation', async () => {
    const instances = new Set<unknown>();
    jest.spyOn(GuardDutyClient.prototype, 'send').mockImplementation(function (this: GuardDutyClient) {
      instances.add(this);
      return Promise.resolve({ Members: [] }) as never;
    });
    // The isComplete call of a delete (of a resource deployed before the ledger: it names its members).
    const event = { ...cfnEvent('Delete', { Service: 'GuardDuty', DetectorId: 'd1', Members: [`${ACCOUNT}:a@example.com`] }, { physicalId: 'd1' }), CdkSecurityMembers: { startedAt: Date.now() } };
    await withEndpointEnv(endpoint, async () => {
      await lambdaHandler(event as never, lambdaContext as never);
      await lambdaHandler(event as never, lambdaContext as never);
    });
    expect(instances.size).toBe(2);
  });
});
