/**
 * One sequence of steps against a fresh world (test code): the organization the model starts
 * from, the service whose target the stacks declare members of, the steps through fast-check's
 * model runner, and every stack deleted at the end, which must leave nothing of the library behind.
 */
import * as fc from 'fast-check';
import { Model, ORGANIZATION, Real, UNITS } from './model';
import { SERVICES } from './services';
import { ledgerParameters, ONE_CALL_PER_INVOCATION, startWorld, TemplateService } from '../endpoint/harness';
import { Faults } from '../endpoint/member-endpoint';

export const FAULTS: Record<string, Faults> = {
  none: {},
  faults: { throttleRate: 0.03, errorRate: 0.03, lostRate: 0.02 },
};

export type Pace = 'whole' | 'one call';

export interface SequenceOptions {
  /** The service whose target the stacks declare members of; default GuardDuty. */
  readonly service?: TemplateService;
  /** 'one call': every invocation makes one call of progress, so runs span invocations. */
  readonly pace: Pace;
  readonly faults: keyof typeof FAULTS;
  /** The endpoint's fault dice. */
  readonly dice: number;
}

export async function runSequence(steps: Iterable<fc.AsyncCommand<Model, Real>>, options: SequenceOptions): Promise<void> {
  const world = await startWorld({
    remainingMs: options.pace === 'one call' ? ONE_CALL_PER_INVOCATION : undefined,
    faults: FAULTS[options.faults],
    seed: options.dice,
  });
  try {
    const org = world.endpoint.organizations;
    const units = Object.fromEntries(UNITS.map((u) => [u, org.addOrganizationalUnit(u)])) as Real['units'];
    ORGANIZATION.forEach((id, i) => {
      org.addAccount(id, { parentId: units[UNITS[i % 3]], email: `root+org-${id}@example.com` });
      // Organization accounts, as each service knows them.
      [world.endpoint.model.organization, world.endpoint.inspector.organization, world.endpoint.macie.organization].forEach((o) => o.add(id));
    });
    const real: Real = { service: SERVICES[options.service ?? 'GuardDuty'], world, units, stacks: new Map() };
    await fc.asyncModelRun(() => ({ model: new Model(), real }), steps);
    for (const stack of real.stacks.values()) await stack.delete();
    expect(ledgerParameters(world.endpoint)).toEqual([]);
  } finally {
    await world.stop();
  }
}
