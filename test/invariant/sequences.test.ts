/**
 * Random sequences of deployments, failures, rollbacks, syncs, stack deletions, OU moves and
 * hand-added members (fast-check's model-based testing), under throttling, 5xx and lost
 * responses, with the ownership invariant checked after every step. One property per service:
 * GuardDuty (50 accounts a call), Inspector (one account a call, associated asynchronously) and
 * Macie (one account a call, then invitations), the runs shared out among them. CI runs a bounded
 * number (the seed is printed; `npm run fuzz -- --runs N --seed S [--service Macie]` runs many
 * more or replays one).
 */
import * as fc from 'fast-check';
import { commandsFor, stepsRun } from './commands';
import { FAULTS, runSequence } from './run';
import { SERVICES } from './services';
import { TemplateService } from '../endpoint/harness';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PATH = process.env.FUZZ_PATH;
const ONLY = process.env.FUZZ_SERVICE as TemplateService | undefined;
const CHOSEN = (Object.keys(SERVICES) as TemplateService[]).filter((service) => !ONLY || service === ONLY);
/** Runs per service: the runs shared out, so that every service gets some. */
const PER_SERVICE = Math.max(1, Math.ceil(RUNS / CHOSEN.length));

jest.setTimeout(Math.max(10 * 60_000, PER_SERVICE * 20_000));

test.each(CHOSEN)(`random sequences keep the ownership invariant on %s (seed ${SEED}, ${PER_SERVICE} runs)`, async (service) => {
  process.stdout.write(`ownership invariant sequences on ${service}: seed ${SEED}, ${PER_SERVICE} runs\n`);
  const before = stepsRun.count;
  await fc.assert(fc.asyncProperty(commandsFor(SERVICES[service]), fc.constantFrom('whole' as const, 'one call' as const),
    fc.constantFrom(...Object.keys(FAULTS)), fc.integer({ min: 1, max: 1e6 }),
    (steps, pace, faults, dice) => runSequence(steps, { service, pace, faults, dice })),
  { numRuns: PER_SERVICE, seed: SEED, path: PATH, endOnFailure: true, verbose: 1 });
  process.stdout.write(`ownership invariant sequences on ${service}: ${stepsRun.count - before} steps in ${PER_SERVICE} runs\n`);
  expect(stepsRun.count - before).toBeGreaterThan(PER_SERVICE);
});
