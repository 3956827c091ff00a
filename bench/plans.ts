/**
 * The protection plans' rows of `npm run bench` (issue 20): a GuardDuty declaration of N
 * organization members gains plans that three groups of accounts need differently, at the
 * member service's request rate. The handler must read each declared member once
 * (GetMemberDetectors, ceil(N/50)), write one call per 50 accounts of each distinct change
 * (UpdateMemberDetectors), read the written accounts back, and take no more than 1.25 × its
 * calls / rate; a second deployment of the same plans only reads.
 */
import { GuardDutyProtectionPlans } from '../src';
import { syntheticAccounts } from '../test/endpoint/accounts';
import { CallRecord, Endpoint, Faults, startEndpoint } from '../test/endpoint/member-endpoint';
import { synthesizeMembers } from '../test/endpoint/synthesized';

/** What the benchmark's driver gives: one deployment event through the bundled handler, and its events. */
export interface HandlerDriver {
  invoke(endpoint: Endpoint, event: object): Promise<{ wallMs: number; invocations: number; maxRssMb: number; physicalId: string }>;
  event(type: 'Create' | 'Update', resourceType: string, properties: object, old?: { properties: object; physicalId: string }): object;
}

/** One deployment's plan work: calls answered per operation, and the time from the first plan call to the last. */
export interface PlansPhase {
  readonly wallMs: number;
  readonly reads: number;
  readonly writes: number;
  /** Throttled (429) answers to plan calls, each retried. */
  readonly retries: number;
  readonly phaseMs: number;
  readonly maxAccountsPerCall: number;
  readonly invocations: number;
  readonly maxRssMb: number;
}

export interface PlansResult {
  readonly n: number;
  readonly rate: number;
  /** Accounts per distinct change, as prepared. */
  readonly groups: readonly number[];
  readonly apply: PlansPhase;
  readonly steady: PlansPhase;
}

const PLAN_OPERATIONS = ['GetMemberDetectors', 'UpdateMemberDetectors'];
export const PLANS: GuardDutyProtectionPlans = { s3DataEvents: true, ebsMalwareProtection: true, rdsLoginEvents: false };

/**
 * Three distinct changes on organization auto-enable's defaults (everything on): a quarter of
 * the accounts lost S3 Protection, a quarter malware protection, and every one has RDS
 * Protection on, which the declaration turns off.
 */
function prepareDrift(endpoint: Endpoint, ids: readonly string[]): number[] {
  ids.forEach((id, i) => {
    if (i % 4 === 0) endpoint.model.setFeatures(id, { S3_DATA_EVENTS: { status: 'DISABLED' } });
    if (i % 4 === 1) endpoint.model.setFeatures(id, { EBS_MALWARE_PROTECTION: { status: 'DISABLED' } });
  });
  const quarter = (r: number) => ids.filter((_, i) => i % 4 === r).length;
  return [quarter(0), quarter(1), ids.length - quarter(0) - quarter(1)];
}

function phase(endpoint: Endpoint, run: { wallMs: number; invocations: number; maxRssMb: number }): PlansPhase {
  const calls = endpoint.calls.filter((c: CallRecord) => PLAN_OPERATIONS.includes(c.operation));
  const answered = calls.filter((c) => c.outcome === 'ok');
  const times = answered.map((c) => c.at!).filter((at) => at !== undefined);
  return {
    wallMs: run.wallMs,
    reads: answered.filter((c) => c.operation === 'GetMemberDetectors').length,
    writes: answered.filter((c) => c.operation === 'UpdateMemberDetectors').length,
    retries: calls.length - answered.length,
    phaseMs: times.length ? Math.max(...times) - Math.min(...times) : 0,
    maxAccountsPerCall: Math.max(0, ...answered.map((c) => c.accounts)),
    invocations: run.invocations,
    maxRssMb: run.maxRssMb,
  };
}

/** Creates N organization members without plans, then deploys the plans twice (apply, then steady state). */
export async function benchPlans(n: number, rate: number, latencyMs: number, driver: HandlerDriver): Promise<PlansResult> {
  const faults: Faults = { latencyMs, requestsPerSecond: rate };
  const endpoint = await startEndpoint({ faults });
  try {
    const accounts = syntheticAccounts(n);
    accounts.forEach((a) => endpoint.model.organization.add(a.accountId));
    const detectorId = endpoint.model.detectorId;
    const without = synthesizeMembers('GuardDuty', accounts, detectorId);
    const created = await driver.invoke(endpoint, driver.event('Create', without.resourceType, without.properties));
    const groups = prepareDrift(endpoint, accounts.map((a) => a.accountId));
    const withPlans = synthesizeMembers('GuardDuty', accounts, detectorId, { protectionPlans: PLANS });
    const old = { properties: without.properties, physicalId: created.physicalId };
    const apply = phase(endpoint, await driver.invoke(endpoint, driver.event('Update', withPlans.resourceType, withPlans.properties, old)));
    for (const a of accounts) {
      const f = endpoint.model.features(a.accountId);
      if (f.S3_DATA_EVENTS.status !== 'ENABLED' || f.EBS_MALWARE_PROTECTION.status !== 'ENABLED' || f.RDS_LOGIN_EVENTS.status !== 'DISABLED') {
        throw new Error(`protection plans ${n}: account ${a.accountId} does not have the declared plans after the deployment`);
      }
    }
    // The same plans again (a later deployment or a sync with nothing to correct): reads only.
    const again = { properties: withPlans.properties, physicalId: created.physicalId };
    const steady = phase(endpoint, await driver.invoke(endpoint, driver.event('Update', withPlans.resourceType, { ...withPlans.properties, MaxRemovals: 0 }, again)));
    return { n, rate, groups, apply, steady };
  } finally {
    await endpoint.stop();
  }
}

/** The targets: the fewest calls, within 1.25 × calls / rate, no call over 50 accounts. */
export function plansTargets(results: readonly PlansResult[], seconds: (ms: number) => string): { name: string; ok: boolean; detail: string }[] {
  return results.flatMap((r) => {
    const label = `Protection plans on ${r.n} members (${r.rate} req/s)`;
    const reads = Math.ceil(r.n / 50);
    const writes = r.groups.reduce((total, g) => total + Math.ceil(g / 50), 0);
    const bound = (1.25 * (r.apply.reads + r.apply.writes) * 1000) / r.rate;
    return [
      {
        name: `${label}: GetMemberDetectors = ceil(N/50) = ${reads}, then one read-back per write`,
        ok: r.apply.reads === reads + r.apply.writes,
        detail: `${r.apply.reads} reads, ${r.apply.writes} writes`,
      },
      {
        name: `${label}: UpdateMemberDetectors = Σ ceil(changed/50) per distinct change (${r.groups.join(' + ')} accounts) = ${writes}`,
        ok: r.apply.writes === writes && r.apply.maxAccountsPerCall <= 50,
        detail: `${r.apply.writes} writes, at most ${r.apply.maxAccountsPerCall} accounts a call`,
      },
      { name: `${label}: the plan calls within 1.25 × calls / rate`, ok: r.apply.phaseMs <= bound, detail: `${seconds(r.apply.phaseMs)} s ≤ ${seconds(bound)} s` },
      {
        name: `${label}: the same plans deployed again read ceil(N/50) = ${reads} and write nothing`,
        ok: r.steady.reads === reads && r.steady.writes === 0,
        detail: `${r.steady.reads} reads, ${r.steady.writes} writes`,
      },
    ];
  });
}
