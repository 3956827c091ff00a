/**
 * `npm run bench`: the bundled handler against the local endpoint at the services' scale,
 * next to two baselines run on the same endpoint settings: one account per resource (as
 * CloudFormation's AWS::GuardDuty::Member or Terraform's aws_guardduty_member) and sequential
 * 50-account batches (as the reference-architecture scripts). Prints tables and the targets of
 * issue 5, writes bench-results/results.json, and exits 1 when a target is missed.
 *
 * Options: --quick (GuardDuty 50 and 1,000, Detective 50 only); --only GuardDuty:5000,Detective:50 (those scenarios;
 * Organizations:1000, Organizations:10000 and Organizations:GuardDuty:1000|5000|50000 name the
 * organization scenarios, Plans:GuardDuty:5000 the protection plans, OneAccount:Inspector:1000 and
 * OneAccount:Macie:1000 the services that take one account per call).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { CreateMembersCommand as DtCreateMembers, DetectiveClient, GetMembersCommand as DtGetMembers, paginateListMembers as paginateDtMembers } from '@aws-sdk/client-detective';
import { CreateMembersCommand, GetMembersCommand, GuardDutyClient, InviteMembersCommand, paginateListMembers } from '@aws-sdk/client-guardduty';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  CreateMembersCommand as ShCreateMembers,
  GetMembersCommand as ShGetMembers,
  InviteMembersCommand as ShInviteMembers,
  paginateListMembers as paginateShMembers,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { MemberAccount } from '../src';
import { benchOneAccount, OneAccountResult, OneAccountService, oneAccountTargets } from './one-account';
import { benchPlans, PlansResult, plansTargets } from './plans';
import { chunk, DEFAULT_CONCURRENCY } from '../src/private/engine';
import { ORGANIZATIONS_CONCURRENCY, ORGANIZATIONS_PAGE_SIZE, resolveOrganizationAccounts } from '../src/private/organizations';
import { invocationClients, MAX_ATTEMPTS, RATE_LIMITER_OPTIONS, THROTTLING_BACKOFF_BASE_MS } from '../src/private/reconcile.lambda';
import { syntheticAccounts } from '../test/endpoint/accounts';
import { Endpoint, Faults, startEndpoint } from '../test/endpoint/member-endpoint';
import { synthesizeMembers } from '../test/endpoint/synthesized';

type Service = 'GuardDuty' | 'Detective' | 'SecurityHub';

interface Setting {
  readonly name: string;
  readonly faults: Faults;
  /** Accounts the per-account baseline really runs; its time is scaled linearly to N. */
  readonly perAccountSample: number;
}

const LATENCY_MS = 100;
/**
 * Ledger calls on a run's critical path, one after another: the lock; the claims, read under it;
 * the journal with the claim; the done record; the release (with the cleanup). Version 2 read the
 * claims beside the lock (4 round trips); version 3 reads them only once the lock is held, so a
 * run acting on claims read before another whole run is impossible (issue 19, item 3).
 */
const LEDGER_ROUND_TRIPS = 5;
const RATE = 10;
const SETTINGS: Setting[] = [
  { name: `${LATENCY_MS} ms latency`, faults: { latencyMs: LATENCY_MS }, perAccountSample: 500 },
  // Each member service its own bucket of 10 a second; Security Hub's documented burst is 30.
  { name: `${LATENCY_MS} ms latency, ${RATE} req/s`, faults: { latencyMs: LATENCY_MS, requestsPerSecond: RATE, rates: { SecurityHub: { perSecond: RATE, burst: 30 } } }, perAccountSample: 50 },
];
const QUICK = process.argv.includes('--quick');
/** `--only GuardDuty:5000,Detective:50`: just these scenarios. */
const ONLY = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : undefined;
const ALL_SCENARIOS: { service: Service; n: number }[] = QUICK
  ? [{ service: 'GuardDuty', n: 50 }, { service: 'GuardDuty', n: 1000 }, { service: 'Detective', n: 50 }]
  : [50, 500, 1000, 5000].map((n) => ({ service: 'GuardDuty' as Service, n }))
    .concat([50, 1200].map((n) => ({ service: 'Detective' as Service, n })))
    .concat([50, 5000].map((n) => ({ service: 'SecurityHub' as Service, n })));
const SCENARIOS = ONLY ? ALL_SCENARIOS.filter((s) => ONLY.includes(`${s.service}:${s.n}`)) : ALL_SCENARIOS;
/** Organization sizes whose resolution is measured; the largest is also created as a GuardDuty declaration. */
const ORGANIZATION_SIZES = (QUICK ? [1000] : [1000, 10_000]).filter((n) => !ONLY || ONLY.includes(`Organizations:${n}`));
/** GuardDuty declarations from OUs created whole: 5,000 and the service's limit of 50,000. */
const ORGANIZATION_CREATE = QUICK ? [] : [1_000, 5_000, 50_000].filter((n) => !ONLY || ONLY.includes(`Organizations:GuardDuty:${n}`));
/** Protection plans (issue 20): applied to N organization members at the member service's rate. */
const PLANS_SIZES = QUICK ? [] : [5_000].filter((n) => !ONLY || ONLY.includes(`Plans:GuardDuty:${n}`));
/** The services that take one account per call (issue 21): 1,000 accounts each, at both settings. */
const ONE_ACCOUNT = QUICK ? [] : (['Inspector', 'Macie'] as OneAccountService[]).map((service) => ({ service, n: 1_000 }))
  .filter(({ service, n }) => !ONLY || ONLY.includes(`OneAccount:${service}:${n}`));
/** The Provider framework's total timeout: a deployment's every invocation together. */
const PROVIDER_TOTAL_MS = 30 * 60_000;
/** The OUs the accounts are spread over, all below the one declared OU. */
const ORGANIZATION_OUS = 50;
/** Organizations' documented rate for its read APIs, far below the member services'. */
const ORGANIZATIONS_RATE = 5;
/** Terraform's default parallelism: one-resource-per-account tools run about this many at once. */
const PER_ACCOUNT_PARALLELISM = 10;
const PAGE_MAX: Record<Service, number> = { GuardDuty: 50, Detective: 200, SecurityHub: 50 };
const QUOTA: Record<Service, number> = { GuardDuty: 50_000, Detective: 1_200, SecurityHub: 10_000 };
/** Services whose CreateMembers does not invite: created batches are read back and invited. */
const INVITES: Service[] = ['GuardDuty', 'SecurityHub'];
const HANDLER_MEMORY_MB = 512;
const HOST = path.join(__dirname, 'lambda-host.js');
const OUT_DIR = path.join(__dirname, '..', 'bench-results');
const MUTATING = ['CreateMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers'];
const OPERATIONS = ['ListMembers', ...MUTATING, 'GetMembers'];
/** The ownership ledger's calls (Parameter Store) and the stack status (CloudFormation). */
const LEDGER_OPERATIONS = ['SSM:GetParametersByPath', 'SSM:GetParameter', 'SSM:PutParameter', 'SSM:DeleteParameters', 'CloudFormation:DescribeStacks'];
/** The 5,000-member update before this version (README, Performance in 0.x): 11.33 s at 100 ms, 15.24 s at 10 req/s. */
const UPDATE_5000_BEFORE_S: Record<string, number> = { [`${100} ms latency`]: 11.33, [`${100} ms latency, ${10} req/s`]: 15.24 };
/** A presigned S3 URL is several hundred bytes; count a generous one in the request size. */
const RESPONSE_URL = `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/${'x'.repeat(900)}`;

interface Measured {
  wallMs: number;
  /** PutParameter calls that wrote the journal (record, state, secret): what the write-ahead journal adds. */
  journalWrites: number;
  /** Answered calls (not retries) per member operation. */
  calls: Record<string, number>;
  /** Answered ledger calls per `Service:Operation`. */
  ledger: Record<string, number>;
  /** Requests answered 429 or 5xx, each followed by a retry. */
  retries: number;
  /** Mean accounts per mutating call. */
  accountsPerCall: number;
  maxAccountsPerCall: number;
  peakConcurrency: number;
}

interface HandlerRun extends Measured {
  maxRssMb: number;
  requestBytes: number;
}

interface ScenarioResult {
  setting: string;
  service: Service;
  n: number;
  synthMs: number;
  templateBytes: number;
  encoding: string;
  create: HandlerRun;
  update: HandlerRun & { added: number; removed: number; steps: number };
  sequential: Measured;
  perAccount: Measured & { sampled: number };
}

const MEMBER_SERVICES = ['GuardDuty', 'Detective', 'SecurityHub'];

function measure(endpoint: Endpoint, wallMs: number): Measured {
  const answered = endpoint.calls.filter((c) => c.outcome !== 'throttled' && c.outcome !== 'error' && c.outcome !== 'lost');
  const members = answered.filter((c) => c.service === undefined || MEMBER_SERVICES.includes(c.service));
  const calls = Object.fromEntries(OPERATIONS.map((op) => [op, members.filter((c) => c.operation === op).length]));
  const ledger = Object.fromEntries(LEDGER_OPERATIONS.map((key) => [key, answered.filter((c) => `${c.service}:${c.operation}` === key).length]));
  const mutating = members.filter((c) => MUTATING.includes(c.operation));
  return {
    wallMs,
    journalWrites: answered.filter((c) => c.operation === 'PutParameter' && /\/journal(-state|-secret)?\//.test(c.name ?? '')).length,
    calls,
    ledger,
    retries: endpoint.calls.length - answered.length,
    accountsPerCall: mutating.length ? mutating.reduce((total, c) => total + c.accounts, 0) / mutating.length : 0,
    maxAccountsPerCall: endpoint.maxAccountsPerCall(),
    peakConcurrency: endpoint.peakConcurrency,
  };
}

function reset(endpoint: Endpoint) {
  endpoint.calls.length = 0;
  endpoint.peakConcurrency = 0;
}

function endpointEnv(endpoint: Endpoint): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Every service: the members' and the ledger's (Parameter Store, CloudFormation).
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

let requests = 0;
function cfnEvent(requestType: 'Create' | 'Update', resourceType: string, properties: object, old?: { properties: object; physicalId: string }) {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework',
    ResponseURL: RESPONSE_URL,
    StackId: 'arn:aws:cloudformation:us-east-1:999999999999:stack/bench/00000000-0000-0000-0000-000000000000',
    RequestId: `bench-${++requests}`,
    LogicalResourceId: 'MembersResource',
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework', ...properties },
    ...(old ? { PhysicalResourceId: old.physicalId, OldResourceProperties: { ServiceToken: 'x', ...old.properties } } : {}),
  };
}

/** One handler invocation in its own plain-Node process (the bundle, as Lambda runs it). */
async function invokeHandler(endpoint: Endpoint, event: object): Promise<HandlerRun & { physicalId: string; invocations: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const job = path.join(dir, 'job.json');
  const result = path.join(dir, 'result.json');
  fs.writeFileSync(job, JSON.stringify({ event, remainingMs: 14 * 60_000 }));
  reset(endpoint);
  await promisify(execFile)(process.execPath, [HOST, job, result], { env: endpointEnv(endpoint), maxBuffer: 64 * 1024 * 1024 });
  const outcome = JSON.parse(fs.readFileSync(result, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  if (!outcome.ok) {
    throw new Error(`handler failed: ${outcome.error}`);
  }
  return {
    ...measure(endpoint, outcome.wallMs),
    maxRssMb: outcome.maxRssMb,
    requestBytes: Buffer.byteLength(JSON.stringify(event)),
    physicalId: outcome.response.PhysicalResourceId,
    invocations: outcome.response.invocations,
  };
}

function sum(runs: HandlerRun[]): HandlerRun {
  const calls = Object.fromEntries(OPERATIONS.map((op) => [op, runs.reduce((s, r) => s + r.calls[op], 0)]));
  const ledger = Object.fromEntries(LEDGER_OPERATIONS.map((key) => [key, runs.reduce((s, r) => s + r.ledger[key], 0)]));
  const mutatingCalls = runs.reduce((s, r) => s + MUTATING.reduce((m, op) => m + r.calls[op], 0), 0);
  return {
    wallMs: runs.reduce((s, r) => s + r.wallMs, 0),
    journalWrites: runs.reduce((s, r) => s + r.journalWrites, 0),
    calls,
    ledger,
    retries: runs.reduce((s, r) => s + r.retries, 0),
    accountsPerCall: mutatingCalls
      ? runs.reduce((s, r) => s + r.accountsPerCall * MUTATING.reduce((m, op) => m + r.calls[op], 0), 0) / mutatingCalls
      : 0,
    maxAccountsPerCall: Math.max(...runs.map((r) => r.maxAccountsPerCall)),
    peakConcurrency: Math.max(...runs.map((r) => r.peakConcurrency)),
    maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)),
    requestBytes: Math.max(...runs.map((r) => r.requestBytes)),
  };
}

function clients(endpoint: Endpoint) {
  // The baselines stand for other tools: the SDK's own adaptive mode with its defaults.
  const config = { retryMode: 'adaptive', maxAttempts: MAX_ATTEMPTS, region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  return { gd: new GuardDutyClient(config), dt: new DetectiveClient(config), sh: new SecurityHubClient(config) };
}

async function timed(endpoint: Endpoint, work: () => Promise<void>): Promise<Measured> {
  reset(endpoint);
  const started = performance.now();
  await work();
  return measure(endpoint, performance.now() - started);
}

/** The reference-architecture script: list, then one 50-account batch after another. */
async function sequentialBatches(endpoint: Endpoint, service: Service, accounts: MemberAccount[]): Promise<Measured> {
  const { gd, dt, sh } = clients(endpoint);
  const detectorId = endpoint.model.detectorId;
  const graphArn = endpoint.model.graphArn;
  try {
    return await timed(endpoint, async () => {
      if (service === 'GuardDuty') {
        for await (const _page of paginateListMembers({ client: gd, pageSize: 50 }, { DetectorId: detectorId, OnlyAssociated: 'false' }));
        for (const batch of chunk(accounts)) {
          const details = batch.map((a) => ({ AccountId: a.accountId, Email: a.email }));
          await gd.send(new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: details }));
          await gd.send(new InviteMembersCommand({ DetectorId: detectorId, AccountIds: batch.map((a) => a.accountId) }));
        }
      } else if (service === 'SecurityHub') {
        for await (const _page of paginateShMembers({ client: sh, pageSize: 50 }, { OnlyAssociated: false }));
        for (const batch of chunk(accounts)) {
          await sh.send(new ShCreateMembers({ AccountDetails: batch.map((a) => ({ AccountId: a.accountId, Email: a.email })) }));
          await sh.send(new ShInviteMembers({ AccountIds: batch.map((a) => a.accountId) }));
        }
      } else {
        for await (const _page of paginateDtMembers({ client: dt, pageSize: 200 }, { GraphArn: graphArn }));
        for (const batch of chunk(accounts)) {
          await dt.send(new DtCreateMembers({ GraphArn: graphArn, Accounts: batch.map((a) => ({ AccountId: a.accountId, EmailAddress: a.email })) }));
        }
      }
    });
  } finally {
    [gd, dt, sh].forEach((c) => c.destroy());
  }
}

/** One resource per account: create, invite (GuardDuty), read back; a few resources at a time. */
async function perAccount(endpoint: Endpoint, service: Service, accounts: MemberAccount[]): Promise<Measured> {
  const { gd, dt, sh } = clients(endpoint);
  const detectorId = endpoint.model.detectorId;
  const graphArn = endpoint.model.graphArn;
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const { accountId, email } = accounts[next++];
      if (service === 'GuardDuty') {
        await gd.send(new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: [{ AccountId: accountId, Email: email }] }));
        await gd.send(new InviteMembersCommand({ DetectorId: detectorId, AccountIds: [accountId] }));
        await gd.send(new GetMembersCommand({ DetectorId: detectorId, AccountIds: [accountId] }));
      } else if (service === 'SecurityHub') {
        await sh.send(new ShCreateMembers({ AccountDetails: [{ AccountId: accountId, Email: email }] }));
        await sh.send(new ShInviteMembers({ AccountIds: [accountId] }));
        await sh.send(new ShGetMembers({ AccountIds: [accountId] }));
      } else {
        await dt.send(new DtCreateMembers({ GraphArn: graphArn, Accounts: [{ AccountId: accountId, EmailAddress: email }] }));
        await dt.send(new DtGetMembers({ GraphArn: graphArn, AccountIds: [accountId] }));
      }
    }
  };
  try {
    return await timed(endpoint, async () => {
      await Promise.all(Array.from({ length: PER_ACCOUNT_PARALLELISM }, worker));
    });
  } finally {
    [gd, dt, sh].forEach((c) => c.destroy());
  }
}

async function runScenario(setting: Setting, service: Service, n: number): Promise<ScenarioResult> {
  const k = Math.round(n / 10);
  const accounts = syntheticAccounts(n + k, n);
  const endpoint = await startEndpoint({ faults: setting.faults });
  // Security Hub takes at most 1,000 members by invitation: a larger hub is an organization's.
  organizationScale(endpoint, service, n, accounts);
  try {
    const target = service === 'GuardDuty' ? endpoint.model.detectorId : undefined;
    const first = synthesizeMembers(service, accounts.slice(0, n), target);
    const created = await invokeHandler(endpoint, cfnEvent('Create', first.resourceType, first.properties));
    const physicalId = created.physicalId;

    // The update adds k and removes k. At the quota, additions-before-removals needs two
    // deployments: first the removals, then the additions.
    const steps = n + k > QUOTA[service] ? [accounts.slice(k, n), accounts.slice(k)] : [accounts.slice(k)];
    let previous = first.properties;
    const updates: HandlerRun[] = [];
    for (const step of steps) {
      const next = synthesizeMembers(service, step, target);
      updates.push(await invokeHandler(endpoint, cfnEvent('Update', next.resourceType, next.properties, { properties: previous, physicalId })));
      previous = next.properties;
    }
    // Disassociated organization accounts stay in Security Hub as Removed: out of the hub.
    const live = Object.entries(endpoint.model.state(service)).filter(([, status]) => status !== 'Removed').map(([id]) => id).sort();
    if (live.join() !== accounts.slice(k).map((a) => a.accountId).sort().join()) {
      throw new Error(`${service} ${n}: membership after the update is not the declared set`);
    }
    const encoding = first.properties.MembersCompressed !== undefined ? 'compressed' : 'readable';
    return {
      setting: setting.name,
      service,
      n,
      synthMs: first.synthMs,
      templateBytes: first.templateBytes,
      encoding,
      create: created,
      update: { ...sum(updates), added: k, removed: k, steps: steps.length },
      sequential: await withFreshEndpoint(
        setting,
        (e) => sequentialBatches(e, service, accounts.slice(0, n)),
        (e) => organizationScale(e, service, n, accounts),
      ),
      perAccount: await withFreshEndpoint(setting, async (e) => {
        const sampled = Math.min(n, setting.perAccountSample);
        const measured = await perAccount(e, service, accounts.slice(0, sampled));
        return { ...measured, wallMs: (measured.wallMs * n) / sampled, sampled };
      }, (e) => organizationScale(e, service, n, accounts)),
    };
  } finally {
    await endpoint.stop();
  }
}

/** Whether a scenario's accounts are organization accounts (enabled by CreateMembers, never invited). */
function organizationAccounts(service: Service, n: number): boolean {
  return service === 'SecurityHub' && n > 1000;
}

function organizationScale(endpoint: Endpoint, service: Service, n: number, accounts: MemberAccount[]) {
  if (organizationAccounts(service, n)) {
    accounts.forEach((a) => endpoint.model.organization.add(a.accountId));
  }
}

async function withFreshEndpoint<T>(setting: Setting, fn: (endpoint: Endpoint) => Promise<T>, prepare?: (endpoint: Endpoint) => void): Promise<T> {
  const endpoint = await startEndpoint({ faults: setting.faults });
  prepare?.(endpoint);
  try {
    return await fn(endpoint);
  } finally {
    await endpoint.stop();
  }
}

// --- organizations ---

interface OrganizationResult {
  n: number;
  units: number;
  /** Organizations calls answered (not retries), and the fewest its pagination allows. */
  calls: number;
  minimumCalls: number;
  retries: number;
  wallMs: number;
  resolved: number;
}

interface OrganizationCreate {
  n: number;
  create: HandlerRun & { invocations: number };
  organizationCalls: number;
  /** The fewest Organizations calls the pagination allows (each page read once). */
  minimumOrganizationCalls: number;
  /** From the first member call to the last (the organization resolved before). */
  memberPhaseMs: number;
  /** The same organization accounts created by sequential 50-account CreateMembers calls (no read-back, no invitation). */
  sequentialMs: number;
}

/**
 * An organization of `n` ACTIVE accounts spread evenly over `units` OUs below one declared OU
 * (plus a few suspended ones, which resolution must skip). Answers the declared OU.
 */
function buildOrganization(endpoint: Endpoint, n: number, units: number, alsoMembers: boolean): { declared: string; ids: string[] } {
  const organizations = endpoint.organizations;
  const declared = organizations.addOrganizationalUnit('Workloads');
  const children = Array.from({ length: units }, (_, i) => organizations.addOrganizationalUnit(`Team ${i}`, declared));
  const ids = Array.from({ length: n }, (_, i) => String(200_000_000_000 + i * 7919));
  ids.forEach((id, i) => {
    organizations.addAccount(id, { parentId: children[i % units] });
    if (alsoMembers) endpoint.model.organization.add(id);
  });
  for (let i = 0; i < units; i++) organizations.addAccount(String(300_000_000_000 + i), { parentId: children[i], state: 'SUSPENDED' });
  return { declared, ids };
}

/** The fewest Organizations calls that read every account and child below `declared`: one page per 20 of each, at least one. */
function minimumOrganizationCalls(n: number, units: number): number {
  const pages = (items: number) => Math.max(1, Math.ceil(items / ORGANIZATIONS_PAGE_SIZE));
  // The declared OU: no accounts of its own, `units` children; each child: its accounts (and one suspended), no children.
  const perUnitAccounts = Math.ceil(n / units) + 1;
  return pages(0) + pages(units) + units * (pages(perUnitAccounts) + pages(0));
}

const ORGANIZATIONS_FAULTS = (latencyMs: number): Faults => ({ latencyMs, rates: { Organizations: { perSecond: ORGANIZATIONS_RATE } } });

/** Resolves an organization of `n` accounts with the handler's own client settings and resolver. */
async function resolveOrganization(n: number): Promise<OrganizationResult> {
  const endpoint = await startEndpoint({ faults: ORGANIZATIONS_FAULTS(LATENCY_MS) });
  const client = invocationClients({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } })(OrganizationsClient);
  try {
    const { declared, ids } = buildOrganization(endpoint, n, ORGANIZATION_OUS, false);
    reset(endpoint);
    const started = performance.now();
    const resolved = await resolveOrganizationAccounts(client, [declared], { adminAccount: '999999999999' });
    const wallMs = performance.now() - started;
    if (resolved.accounts.size !== ids.length || !ids.every((id) => resolved.accounts.has(id))) {
      throw new Error(`Organizations ${n}: resolved ${resolved.accounts.size} accounts, not the ${ids.length} ACTIVE ones`);
    }
    const organizationCalls = endpoint.calls.filter((c) => c.service === 'Organizations');
    const answered = organizationCalls.filter((c) => c.outcome === 'ok').length;
    return {
      n,
      units: ORGANIZATION_OUS,
      calls: answered,
      minimumCalls: minimumOrganizationCalls(n, ORGANIZATION_OUS),
      retries: organizationCalls.length - answered,
      wallMs,
      resolved: resolved.accounts.size,
    };
  } finally {
    client.destroy();
    await endpoint.stop();
  }
}

/**
 * A GuardDuty declaration of one OU holding `n` organization accounts, created by the bundled
 * handler at 10 req/s (Organizations at 5 req/s) as one deployment, however many invocations it
 * takes; and the same accounts created by sequential 50-account batches, for the ratio.
 */
async function createFromOrganization(n: number): Promise<OrganizationCreate> {
  const faults: Faults = { latencyMs: LATENCY_MS, requestsPerSecond: RATE, rates: { Organizations: { perSecond: ORGANIZATIONS_RATE } } };
  const endpoint = await startEndpoint({ faults });
  try {
    const { declared, ids } = buildOrganization(endpoint, n, ORGANIZATION_OUS, true);
    const properties = synthesizeMembers('GuardDuty', [], endpoint.model.detectorId, { organizationalUnits: [declared] }).properties;
    const create = await invokeHandler(endpoint, cfnEvent('Create', 'Custom::GuardDutyMembers', properties));
    const live = Object.keys(endpoint.model.state('GuardDuty')).sort();
    if (live.join() !== [...ids].sort().join()) {
      throw new Error(`Organizations GuardDuty ${n}: membership after the create is not the OU's ACTIVE accounts (${live.length} members)`);
    }
    const organizationCalls = endpoint.calls.filter((c) => c.service === 'Organizations' && c.outcome === 'ok').length;
    const memberCalls = endpoint.calls.filter((c) => c.service === 'GuardDuty' && c.at !== undefined).map((c) => c.at!);
    const sequential = await withFreshEndpoint({ name: 'sequential', faults: { latencyMs: LATENCY_MS, requestsPerSecond: RATE }, perAccountSample: 0 },
      (e) => sequentialOrganizationBatches(e, ids), (e) => ids.forEach((id) => e.model.organization.add(id)));
    return {
      n,
      create,
      organizationCalls,
      minimumOrganizationCalls: minimumOrganizationCalls(n, ORGANIZATION_OUS),
      memberPhaseMs: Math.max(...memberCalls) - Math.min(...memberCalls),
      sequentialMs: sequential.wallMs,
    };
  } finally {
    await endpoint.stop();
  }
}

/** The reference scripts for organization accounts: one 50-account CreateMembers after another. */
async function sequentialOrganizationBatches(endpoint: Endpoint, ids: string[]): Promise<Measured> {
  const { gd, dt, sh } = clients(endpoint);
  try {
    return await timed(endpoint, async () => {
      for (const batch of chunk(ids)) {
        const details = batch.map((id) => ({ AccountId: id, Email: `root+${id}@example.com` }));
        await gd.send(new CreateMembersCommand({ DetectorId: endpoint.model.detectorId, AccountDetails: details }));
      }
    });
  } finally {
    [gd, dt, sh].forEach((c) => c.destroy());
  }
}

function organizationTargets(resolutions: OrganizationResult[], creates: OrganizationCreate[]): Target[] {
  const out: Target[] = [];
  for (const r of resolutions) {
    const label = `Organizations ${r.n} accounts over ${r.units} OUs (${LATENCY_MS} ms latency, ${ORGANIZATIONS_RATE} req/s)`;
    out.push({ name: `${label}: calls = the minimum the pagination allows (${r.minimumCalls})`, ok: r.calls === r.minimumCalls, detail: `${r.calls} calls, ${r.retries} throttled` });
    const bound = (1.25 * r.calls * 1000) / ORGANIZATIONS_RATE;
    out.push({ name: `${label}: within 1.25 × calls / rate`, ok: r.wallMs <= bound, detail: `${seconds(r.wallMs)} s ≤ ${seconds(bound)} s` });
  }
  for (const c of creates) {
    const label = `GuardDuty ${c.n} from OUs (${LATENCY_MS} ms latency, ${RATE} req/s, Organizations ${ORGANIZATIONS_RATE} req/s)`;
    out.push({
      name: `${label}: one deployment within the Provider's total timeout`,
      ok: c.create.wallMs <= PROVIDER_TOTAL_MS,
      detail: `${seconds(c.create.wallMs)} s ≤ ${seconds(PROVIDER_TOTAL_MS)} s in ${c.create.invocations} isComplete invocations`,
    });
    out.push({
      name: `${label}: each OU page read once in the run (the pagination floor, ${c.minimumOrganizationCalls})`,
      ok: c.organizationCalls === c.minimumOrganizationCalls,
      detail: `${c.organizationCalls} Organizations calls`,
    });
    const batches = Math.ceil(c.n / 50);
    out.push({
      name: `${label}: under the organization's delegated administrator, ceil(N/50) = ${batches} CreateMembers, no read-back, no invitation`,
      ok: c.create.calls.CreateMembers === batches && c.create.calls.InviteMembers === 0 && c.create.calls.GetMembers === 0,
      detail: callList(c.create),
    });
    const ratio = c.memberPhaseMs / c.sequentialMs;
    out.push({
      name: `${label}: member calls within 1.1 × the time of sequential batches`,
      ok: ratio <= 1.1,
      detail: `${ratio.toFixed(2)} (${seconds(c.memberPhaseMs)} s vs ${seconds(c.sequentialMs)} s)`,
    });
    out.push({ name: `${label}: handler peak RSS within its ${HANDLER_MEMORY_MB} MB`, ok: c.create.maxRssMb < HANDLER_MEMORY_MB, detail: `${c.create.maxRssMb.toFixed(0)} MB` });
  }
  return out;
}

// --- report ---

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const totalCalls = (m: Measured) => Object.values(m.calls).reduce((s, c) => s + c, 0);
const callList = (m: Measured) => OPERATIONS.filter((op) => m.calls[op] > 0).map((op) => `${op.replace('Members', '')} ${m.calls[op]}`).join(', ');
const ledgerList = (m: Measured) => LEDGER_OPERATIONS.filter((key) => m.ledger[key] > 0)
  .map((key) => `${key.split(':')[1].replace('Parameters', 'Params').replace('Parameter', 'Param')} ${m.ledger[key]}`).join(', ');
const ledgerCalls = (m: Measured) => Object.values(m.ledger).reduce((s, c) => s + c, 0);

function table(headers: string[], rows: (string | number)[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

interface Target {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

function targets(results: ScenarioResult[]): Target[] {
  const out: Target[] = [];
  const check = (name: string, ok: boolean, detail: string) => out.push({ name, ok, detail });
  for (const r of results) {
    const label = `${r.service} ${r.n} (${r.setting})`;
    const batches = Math.ceil(r.n / 50);
    // Organization accounts are enabled by CreateMembers and never invited.
    const invites = INVITES.includes(r.service) && !organizationAccounts(r.service, r.n);
    const mutatingCreate = invites ? ['CreateMembers', 'InviteMembers'] : ['CreateMembers'];
    check(`${label}: create sends ceil(N/50) = ${batches} calls per operation`,
      mutatingCreate.every((op) => r.create.calls[op] === batches) && r.create.calls.DisassociateMembers + r.create.calls.DeleteMembers === 0,
      callList(r.create));
    // GuardDuty reads each created batch back once, so that organization accounts are never invited.
    const readBack = INVITES.includes(r.service) ? batches : 0;
    check(`${label}: create lists 1 page and reads back ${readBack} batches (one GetMembers per created batch)`,
      r.create.calls.ListMembers <= 1 && r.create.calls.GetMembers === readBack, callList(r.create));
    const k = r.update.added;
    const kBatches = Math.ceil(k / 50) * r.update.steps;
    const removalOps = INVITES.includes(r.service) ? ['DisassociateMembers', 'DeleteMembers'] : ['DeleteMembers'];
    const pages = Math.ceil(r.n / PAGE_MAX[r.service]) + 1;
    // Live state: page by page, or the managed accounts in parallel batches, whichever takes fewer round trips.
    // Plus one read of each created batch; Security Hub refuses to delete organization accounts (they stay
    // disassociated), and each refused batch is read once to confirm it.
    const readBatches = Math.ceil((r.n + k) / 50) + (INVITES.includes(r.service) ? Math.ceil(k / 50) : 0)
      + (organizationAccounts(r.service, r.n) ? Math.ceil(k / 50) : 0);
    check(`${label}: update of k=${k} costs calls in proportion to k`,
      [...mutatingCreate, ...removalOps].every((op) => r.update.calls[op] <= Math.ceil(k / 50) * r.update.steps)
      && r.update.calls.ListMembers <= pages * r.update.steps && r.update.calls.GetMembers <= readBatches * r.update.steps,
      `${callList(r.update)} (≤ ${kBatches} per mutating operation, ≤ ${pages} list pages or ${readBatches} reads per step)`);
    // A claim's records are as many 4 KB parameters as their size needs: about 730 accounts a
    // part for the account lists, 250 for the declaration's emails. The rest is a few calls a run.
    // The journal (written before any change) doubles what one run writes: its scope's account
    // list and, for the accounts it creates, their emails.
    const claimParts = (n: number) => Math.ceil(n / 730) * 2 + Math.ceil(n / 250);
    const ledgerBound = (n: number) => 12 + 2 * claimParts(n);
    check(`${label}: the ownership ledger writes each record in as few parameters as its size allows`,
      ledgerCalls(r.create) <= ledgerBound(r.n) && ledgerCalls(r.update) <= ledgerBound(r.n) * r.update.steps,
      `create ${ledgerList(r.create)} (≤ ${ledgerBound(r.n)}); update ${ledgerList(r.update)}`);
    const before = UPDATE_5000_BEFORE_S[r.setting];
    if (r.service === 'GuardDuty' && r.n === 5000 && before !== undefined) {
      const bound = r.setting.includes('req/s') ? 1.1 * before : 0.4 * before;
      check(`${label}: the update +500 −500 within ${r.setting.includes('req/s') ? '1.1' : '0.4'} × the ${before} s before this version`, r.update.wallMs / 1000 <= bound,
        `${seconds(r.update.wallMs)} s ≤ ${bound.toFixed(2)} s`);
    }
    check(`${label}: no call carries more than 50 accounts`, Math.max(r.create.maxAccountsPerCall, r.update.maxAccountsPerCall) <= 50,
      `at most ${Math.max(r.create.maxAccountsPerCall, r.update.maxAccountsPerCall)}, mean ${r.create.accountsPerCall.toFixed(1)} per mutating call in the create`);
    if (r.setting.includes('req/s')) {
      for (const [phase, run] of [['create', r.create], ['update', r.update]] as const) {
        // Up to a bucketful (RATE calls) passes at once: only larger runs are bound by the rate.
        // The limit is the member service's. The ledger's calls go to Parameter Store: they add
        // a few round trips one after another (LEDGER_ROUND_TRIPS).
        if (totalCalls(run) > RATE) {
          // Each deployment of the phase has its own ledger round trips.
          const deployments = phase === 'update' ? r.update.steps : 1;
          const bound = (1.25 * totalCalls(run) * 1000) / RATE + LEDGER_ROUND_TRIPS * deployments * LATENCY_MS;
          check(`${label}: ${phase} within 1.25 × calls / rate + ${LEDGER_ROUND_TRIPS} ledger round trips per deployment`, run.wallMs <= bound,
            `${seconds(run.wallMs)} s ≤ ${seconds(bound)} s; ${(run.retries / totalCalls(run)).toFixed(2)} retries per call`);
        }
      }
      check(`${label}: no retry storm (at most 1 throttled answer per call)`, r.create.retries <= totalCalls(r.create) && r.update.retries <= totalCalls(r.update),
        `create ${(r.create.retries / totalCalls(r.create)).toFixed(2)}, update ${(r.update.retries / totalCalls(r.update)).toFixed(2)} retries per call`);
    } else if (r.service === 'GuardDuty' && r.n === 1000) {
      const ratio = r.create.wallMs / r.sequential.wallMs;
      // Version 1 ran at 0.23 with two calls per batch; the read-back (organization accounts are
      // never invited) and the ledger add calls, so the bound leaves room for run-to-run variance.
      check(`${label}: at most 0.30 × the sequential-batches baseline`, ratio <= 0.30, `${ratio.toFixed(2)} (${seconds(r.create.wallMs)} s vs ${seconds(r.sequential.wallMs)} s)`);
    }
    check(`${label}: handler peak RSS within its ${HANDLER_MEMORY_MB} MB`, Math.max(r.create.maxRssMb, r.update.maxRssMb) < HANDLER_MEMORY_MB,
      `${Math.max(r.create.maxRssMb, r.update.maxRssMb).toFixed(0)} MB`);
    if ((r.service !== 'Detective' && r.n === 5000) || (r.service === 'Detective' && r.n === 1200)) {
      check(`${label}: template under 1 MB`, r.templateBytes < 1024 * 1024, `${kib(r.templateBytes)} KiB`);
      check(`${label}: request (old + new properties) under 256 KiB`, r.update.requestBytes < 256 * 1024, `${kib(r.update.requestBytes)} KiB`);
    }
  }
  return out;
}

async function main() {
  const bundle = path.join(__dirname, '..', 'assets', 'private', 'reconcile.lambda', 'index.js');
  if (!fs.existsSync(bundle)) {
    throw new Error(`${bundle} is missing: run 'npx projen bundle' first`);
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}`;
  console.log(`cdk-security-members benchmark on ${machine}`);
  console.log(`handler: bundled assets/, concurrency ${DEFAULT_CONCURRENCY}, SDK adaptive retries (${MAX_ATTEMPTS} attempts, ` +
    `rate limiter ${JSON.stringify(RATE_LIMITER_OPTIONS)}, throttling backoff base ${THROTTLING_BACKOFF_BASE_MS} ms); baselines: SDK adaptive defaults`);
  // Loading aws-cdk-lib takes a second or two: keep it out of the first synth time.
  synthesizeMembers('GuardDuty', syntheticAccounts(1));
  const results: ScenarioResult[] = [];
  const started = performance.now();
  for (const setting of SETTINGS) {
    for (const { service, n } of SCENARIOS) {
      process.stderr.write(`  ${setting.name}: ${service} ${n} ...`);
      const result = await runScenario(setting, service, n);
      process.stderr.write(` ${seconds(result.create.wallMs)} s\n`);
      results.push(result);
    }
  }

  for (const setting of SETTINGS) {
    const rows = results.filter((r) => r.setting === setting.name);
    if (rows.length === 0) continue;
    console.log(`\n### ${setting.name}\n`);
    console.log(table(
      ['Service', 'N', 'Phase', 'Wall s', 'Calls per operation', 'Ledger calls', 'Accounts/call', 'Retries/call', 'Peak conc.', 'Peak RSS MB'],
      rows.flatMap((r) => [
        [r.service, r.n, 'create', seconds(r.create.wallMs), callList(r.create), `${ledgerList(r.create)} (journal ${r.create.journalWrites})`,
          r.create.accountsPerCall.toFixed(1),
          (r.create.retries / totalCalls(r.create)).toFixed(2), r.create.peakConcurrency, r.create.maxRssMb.toFixed(0)],
        [r.service, r.n, `update +${r.update.added} −${r.update.removed}${r.update.steps > 1 ? ' (2 deploys)' : ''}`, seconds(r.update.wallMs), callList(r.update),
          `${ledgerList(r.update)} (journal ${r.update.journalWrites})`, r.update.accountsPerCall.toFixed(1), (r.update.retries / totalCalls(r.update)).toFixed(2),
          r.update.peakConcurrency,
          r.update.maxRssMb.toFixed(0)],
      ]),
    ));
    console.log('\nCreating N members, against the baselines (same endpoint settings):\n');
    console.log(table(
      ['Service', 'N', 'Ours s', 'Sequential-50 s', 'Ours ÷ seq.', 'Per-account s', 'Ours ÷ per-acc.', 'Calls ours / seq. / per-acc.'],
      rows.map((r) => [
        r.service, r.n, seconds(r.create.wallMs), seconds(r.sequential.wallMs), (r.create.wallMs / r.sequential.wallMs).toFixed(2),
        `${seconds(r.perAccount.wallMs)}${r.perAccount.sampled < r.n ? ` (scaled from ${r.perAccount.sampled})` : ''}`,
        (r.create.wallMs / r.perAccount.wallMs).toFixed(3),
        `${totalCalls(r.create)} / ${totalCalls(r.sequential)} / ${Math.round((totalCalls(r.perAccount) * r.n) / r.perAccount.sampled)}`,
      ]),
    ));
  }

  if (results.length > 0) console.log('\n### Scale: synth and request sizes\n');
  if (results.length > 0) {
    console.log(table(
      ['Service', 'N', 'Synth s', 'Template KiB', 'Members encoding', 'Update request KiB (old + new)'],
      results.filter((r) => r.setting === SETTINGS[0].name)
        .map((r) => [r.service, r.n, seconds(r.synthMs), kib(r.templateBytes), r.encoding, kib(r.update.requestBytes)]),
    ));
  }

  const resolutions: OrganizationResult[] = [];
  for (const n of ORGANIZATION_SIZES) {
    process.stderr.write(`  Organizations: resolve ${n} accounts ...`);
    resolutions.push(await resolveOrganization(n));
    process.stderr.write(` ${seconds(resolutions[resolutions.length - 1].wallMs)} s\n`);
  }
  const creates: OrganizationCreate[] = [];
  for (const n of ORGANIZATION_CREATE) {
    process.stderr.write(`  Organizations: GuardDuty ${n} from OUs ...`);
    creates.push(await createFromOrganization(n));
    process.stderr.write(` ${seconds(creates[creates.length - 1].create.wallMs)} s\n`);
  }
  if (resolutions.length + creates.length > 0) {
    console.log(`\n### Members from the organization (${LATENCY_MS} ms latency, Organizations ${ORGANIZATIONS_RATE} req/s, ` +
      `pages of ${ORGANIZATIONS_PAGE_SIZE}, ${ORGANIZATIONS_CONCURRENCY} OUs at a time)\n`);
    console.log(table(
      ['Work', 'Accounts', 'OUs', 'Wall s', 'Organizations calls (minimum)', 'Throttled', 'Member calls', 'Peak RSS MB'],
      [
        ...resolutions.map((r) => ['resolve', r.n, r.units + 1, seconds(r.wallMs), `${r.calls} (${r.minimumCalls})`, r.retries, '-', '-']),
        ...creates.map((c) => [`GuardDuty create at ${RATE} req/s (${c.create.invocations} invocations)`, c.n, ORGANIZATION_OUS + 1,
          seconds(c.create.wallMs), `${c.organizationCalls} (${c.minimumOrganizationCalls})`, '-', callList(c.create), c.create.maxRssMb.toFixed(0)]),
      ],
    ));
    if (creates.length > 0) {
      console.log('\nCreating organization accounts from OUs, member calls against sequential 50-account batches, and the journal\'s writes:\n');
      console.log(table(
        ['Accounts', 'Member calls s', 'Sequential-50 s', 'Ours ÷ seq.', 'Ledger calls', 'Of which journal writes'],
        creates.map((c) => [c.n, seconds(c.memberPhaseMs), seconds(c.sequentialMs), (c.memberPhaseMs / c.sequentialMs).toFixed(2),
          ledgerList(c.create), c.create.journalWrites]),
      ));
    }

  }

  const plans: PlansResult[] = [];
  for (const n of PLANS_SIZES) {
    process.stderr.write(`  Protection plans: GuardDuty ${n} ...`);
    plans.push(await benchPlans(n, RATE, LATENCY_MS, { invoke: invokeHandler, event: cfnEvent }));
    process.stderr.write(` ${seconds(plans[plans.length - 1].apply.wallMs)} s\n`);
  }
  if (plans.length > 0) {
    console.log(`\n### Protection plans (${LATENCY_MS} ms latency, ${RATE} req/s; three distinct changes)\n`);
    console.log(table(
      ['Members', 'Deployment', 'Wall s', 'Plan calls s', 'GetMemberDetectors', 'UpdateMemberDetectors', 'Throttled', 'Peak RSS MB'],
      plans.flatMap((p) => [
        [p.n, `plans applied (${p.groups.join(' / ')} accounts)`, seconds(p.apply.wallMs), seconds(p.apply.phaseMs), p.apply.reads, p.apply.writes,
          p.apply.retries, p.apply.maxRssMb.toFixed(0)],
        [p.n, 'the same plans again', seconds(p.steady.wallMs), seconds(p.steady.phaseMs), p.steady.reads, p.steady.writes, p.steady.retries,
          p.steady.maxRssMb.toFixed(0)],
      ]),
    ));
  }

  const oneAccount = await runOneAccount();
  const checks = [
    ...targets(results), ...organizationTargets(resolutions, creates), ...plansTargets(plans, seconds), ...oneAccountTargets(oneAccount, seconds),
  ];
  console.log('\n### Targets\n');
  for (const t of checks) {
    console.log(`${t.ok ? 'PASS' : 'FAIL'}  ${t.name}: ${t.detail}`);
  }
  const failed = checks.filter((t) => !t.ok).length;
  console.log(`\n${checks.length - failed} targets met, ${failed} missed; bench took ${seconds(performance.now() - started)} s`);

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, 'results.json');
  const report = {
    machine, date: new Date().toISOString(), settings: SETTINGS, results, organizations: { resolutions, creates }, plans, oneAccount, targets: checks,
  };
  fs.writeFileSync(file, JSON.stringify(report, undefined, 2));
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  process.exitCode = failed ? 1 : 0;
}

/** The one-account services' rows, at each setting, and their table. */
async function runOneAccount(): Promise<OneAccountResult[]> {
  const results: OneAccountResult[] = [];
  for (const setting of SETTINGS) {
    for (const { service, n } of ONE_ACCOUNT) {
      process.stderr.write(`  ${setting.name}: ${service} ${n} (one account a call) ...`);
      results.push(await benchOneAccount(service, n, setting, { invoke: invokeHandler, event: cfnEvent }));
      process.stderr.write(` ${seconds(results[results.length - 1].wallMs)} s\n`);
    }
  }
  if (results.length === 0) return results;
  console.log('\n### Services that take one account per call (Inspector: organization accounts and one scan type; Macie: half invited)\n');
  console.log(table(
    ['Service', 'N', 'Setting', 'Wall s', 'Member calls s', 'Calls per operation', 'Throttled', 'Peak conc.', 'One at a time s', 'Ours ÷ one at a time', 'Peak RSS MB'],
    results.map((r) => [r.service, r.n, r.setting, seconds(r.wallMs), seconds(r.phaseMs),
      Object.entries(r.calls).sort(([a], [b]) => a.localeCompare(b)).map(([op, c]) => `${op} ${c}`).join(', '), r.throttled, r.peakConcurrency,
      r.oneAtATimeMs === undefined ? '-' : seconds(r.oneAtATimeMs), r.oneAtATimeMs === undefined ? '-' : (r.wallMs / r.oneAtATimeMs).toFixed(3),
      r.maxRssMb.toFixed(0)]),
  ));
  return results;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
