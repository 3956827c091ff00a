/**
 * The one-account services' rows of `npm run bench` (issue 21): 1,000 accounts declared to
 * Inspector (organization accounts, with a scan type) and to Macie (half organization accounts,
 * half invited), created through the bundled handler at 100 ms latency, and at 10 requests/s.
 * The handler must make exactly N one-account calls (AssociateMember, CreateMember), plus
 * ceil(N/100) Enable for Inspector (its BatchGetAccountStatus reads before and after) and
 * ceil(invited/50) CreateInvitations for Macie; under the rate limit, the member calls take no
 * more than 1.25 × calls / rate; and it is compared with the same calls sent one at a time.
 */
import { AssociateMemberCommand, EnableCommand, Inspector2Client } from '@aws-sdk/client-inspector2';
import { CreateInvitationsCommand, CreateMemberCommand, Macie2Client } from '@aws-sdk/client-macie2';
import type { HandlerDriver } from './plans';
import { InspectorScanType } from '../src';
import { chunk } from '../src/private/engine';
import { syntheticAccounts } from '../test/endpoint/accounts';
import { Endpoint, Faults, startEndpoint } from '../test/endpoint/member-endpoint';
import { synthesizeMembers } from '../test/endpoint/synthesized';

export type OneAccountService = 'Inspector' | 'Macie';

/** The endpoint's name of each service, and its one-account creation call. */
const WIRE: Record<OneAccountService, { service: string; create: string; batch: string; batchSize: number }> = {
  Inspector: { service: 'Inspector2', create: 'AssociateMember', batch: 'Enable', batchSize: 100 },
  Macie: { service: 'Macie2', create: 'CreateMember', batch: 'CreateInvitations', batchSize: 50 },
};
/** Accounts the one-at-a-time baseline really sends; its time is scaled linearly to N. */
const BASELINE_SAMPLE = 100;

export interface OneAccountResult {
  readonly service: OneAccountService;
  readonly setting: string;
  /** Requests per second the member service allows; undefined: no limit. */
  readonly rate?: number;
  readonly n: number;
  /** Macie: the accounts outside the organization, created then invited. */
  readonly invited: number;
  readonly wallMs: number;
  readonly invocations: number;
  readonly maxRssMb: number;
  /** Answered member-service calls, by operation. */
  readonly calls: Record<string, number>;
  /** Member-service calls answered 429, each sent again. */
  readonly throttled: number;
  /** From the first member-service call to the last. */
  readonly phaseMs: number;
  readonly peakConcurrency: number;
  /** Without a rate limit: the same one-account and batch calls sent one at a time (scaled from a sample), at the same latency. */
  readonly oneAtATimeMs?: number;
}

function memberCalls(endpoint: Endpoint, service: OneAccountService) {
  const calls = endpoint.calls.filter((c) => c.service === WIRE[service].service);
  const answered = calls.filter((c) => c.outcome === 'ok');
  const times = answered.map((c) => c.at!).filter((at) => at !== undefined);
  const byOperation: Record<string, number> = {};
  for (const c of answered) byOperation[c.operation] = (byOperation[c.operation] ?? 0) + 1;
  return {
    calls: byOperation,
    throttled: calls.filter((c) => c.outcome === 'throttled').length,
    phaseMs: times.length ? Math.max(...times) - Math.min(...times) : 0,
  };
}

/** The accounts, organized as each service should see them: Inspector all organization accounts, Macie half. */
function prepare(endpoint: Endpoint, service: OneAccountService, ids: readonly string[]): number {
  if (service === 'Inspector') {
    ids.forEach((id) => endpoint.inspector.organization.add(id));
    return 0;
  }
  ids.forEach((id, i) => i % 2 === 0 && endpoint.macie.organization.add(id));
  return ids.filter((_, i) => i % 2 === 1).length;
}

/** The one-account calls of a sample sent one at a time, then the batch calls (Enable, CreateInvitations) of N, scaled to N. */
async function oneAtATime(service: OneAccountService, n: number, latencyMs: number): Promise<number> {
  const endpoint = await startEndpoint({ faults: { latencyMs } });
  const config = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const accounts = syntheticAccounts(BASELINE_SAMPLE, 3);
  prepare(endpoint, service, accounts.map((a) => a.accountId));
  try {
    const started = performance.now();
    if (service === 'Inspector') {
      const client = new Inspector2Client(config);
      for (const a of accounts) await client.send(new AssociateMemberCommand({ accountId: a.accountId }));
      for (const batch of chunk(accounts.map((a) => a.accountId), 100)) await client.send(new EnableCommand({ accountIds: batch, resourceTypes: ['EC2'] }));
      client.destroy();
    } else {
      const client = new Macie2Client(config);
      for (const a of accounts) await client.send(new CreateMemberCommand({ account: a }));
      const outside = accounts.filter((a) => !endpoint.macie.organization.has(a.accountId)).map((a) => a.accountId);
      for (const batch of chunk(outside, 50)) await client.send(new CreateInvitationsCommand({ accountIds: batch }));
      client.destroy();
    }
    // The sample's calls scale with N: its one-account calls, and its share of the batch calls.
    return ((performance.now() - started) * n) / BASELINE_SAMPLE;
  } finally {
    await endpoint.stop();
  }
}

/** N accounts declared to `service` and created by one deployment, at `faults`. */
export async function benchOneAccount(service: OneAccountService, n: number, setting: { name: string; faults: Faults },
  driver: HandlerDriver): Promise<OneAccountResult> {
  const endpoint = await startEndpoint({ faults: setting.faults });
  try {
    const accounts = syntheticAccounts(n);
    const invited = prepare(endpoint, service, accounts.map((a) => a.accountId));
    const scanTypes = service === 'Inspector' ? { scanTypes: [InspectorScanType.EC2] } : {};
    const { resourceType, properties } = synthesizeMembers(service, accounts, undefined, scanTypes);
    endpoint.peakConcurrency = 0;
    const run = await driver.invoke(endpoint, driver.event('Create', resourceType, properties));
    checkCreated(endpoint, service, accounts.map((a) => a.accountId));
    return {
      service,
      setting: setting.name,
      rate: setting.faults.requestsPerSecond,
      n,
      invited,
      wallMs: run.wallMs,
      invocations: run.invocations,
      maxRssMb: run.maxRssMb,
      ...memberCalls(endpoint, service),
      peakConcurrency: endpoint.peakConcurrency,
      oneAtATimeMs: setting.faults.requestsPerSecond === undefined ? await oneAtATime(service, n, setting.faults.latencyMs ?? 0) : undefined,
    };
  } finally {
    await endpoint.stop();
  }
}

/** Every account where the declaration wants it: a benchmark of a deployment that did not do its work measures nothing. */
function checkCreated(endpoint: Endpoint, service: OneAccountService, ids: readonly string[]): void {
  const state: Record<string, string> = service === 'Inspector' ? endpoint.inspector.state() : endpoint.macie.state();
  const wrong = ids.filter((id) => {
    if (service === 'Inspector') return state[id] !== 'ENABLED' || !endpoint.inspector.scanTypes.get(id)?.has('EC2');
    return state[id] !== (endpoint.macie.organization.has(id) ? 'Enabled' : 'Invited');
  });
  if (wrong.length > 0) throw new Error(`${service} ${ids.length}: ${wrong.length} accounts are not where the declaration wants them (${wrong.slice(0, 3).join(', ')}, ...)`);
}

/** The issue's targets: exactly N one-account calls, the batch calls' minimum, within 1.25 × calls / rate under the limit. */
export function oneAccountTargets(results: readonly OneAccountResult[], seconds: (ms: number) => string)
  : { name: string; ok: boolean; detail: string }[] {
  return results.flatMap((r) => {
    const wire = WIRE[r.service];
    const label = `${r.service} ${r.n} (${r.setting})`;
    const batched = r.service === 'Inspector' ? r.n : r.invited;
    const batches = Math.ceil(batched / wire.batchSize);
    const total = Object.values(r.calls).reduce((s, c) => s + c, 0);
    const checks = [
      { name: `${label}: ${wire.create} = N = ${r.n}, one account a call`, ok: r.calls[wire.create] === r.n, detail: `${r.calls[wire.create] ?? 0} calls` },
      {
        name: `${label}: ${wire.batch} = ceil(${r.service === 'Inspector' ? 'N' : 'invited'}/${wire.batchSize}) = ${batches}`,
        ok: (r.calls[wire.batch] ?? 0) === batches,
        detail: `${r.calls[wire.batch] ?? 0} calls`,
      },
      { name: `${label}: at most 16 calls in flight`, ok: r.peakConcurrency <= 16, detail: `peak ${r.peakConcurrency}` },
    ];
    if (r.service === 'Inspector') {
      const reads = 2 * Math.ceil(r.n / 100);
      checks.push({
        name: `${label}: BatchGetAccountStatus = 2 × ceil(N/100) = ${reads} (scan types read, then read back)`,
        ok: (r.calls.BatchGetAccountStatus ?? 0) === reads,
        detail: `${r.calls.BatchGetAccountStatus ?? 0} calls`,
      });
    }
    if (r.rate !== undefined) {
      const bound = (1.25 * total * 1000) / r.rate;
      checks.push({ name: `${label}: the member calls within 1.25 × calls / rate`, ok: r.phaseMs <= bound, detail: `${seconds(r.phaseMs)} s ≤ ${seconds(bound)} s (${total} calls)` });
    }
    return checks;
  });
}
