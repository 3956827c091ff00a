/**
 * Random sequences of deployments, failures, rollbacks, syncs, stack deletions, OU moves and
 * hand-added members (fast-check's model-based testing), under throttling, 5xx and lost
 * responses, with the ownership invariant checked after every step. CI runs a bounded number
 * (the seed is printed; `npm run fuzz -- --runs N --seed S` runs many more or replays one).
 */
import * as fc from 'fast-check';
import { commands, stepsRun } from './commands';
import { FAULTS, runSequence } from './run';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PATH = process.env.FUZZ_PATH;

jest.setTimeout(Math.max(10 * 60_000, RUNS * 20_000));

test(`random sequences keep the ownership invariant (seed ${SEED}, ${RUNS} runs)`, async () => {
  process.stdout.write(`ownership invariant sequences: seed ${SEED}, ${RUNS} runs\n`);
  await fc.assert(fc.asyncProperty(commands, fc.constantFrom('whole' as const, 'one call' as const), fc.constantFrom(...Object.keys(FAULTS)),
    fc.integer({ min: 1, max: 1e6 }), (steps, pace, faults, dice) => runSequence(steps, { pace, faults, dice })),
  { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: true, verbose: 1 });
  process.stdout.write(`ownership invariant sequences: ${stepsRun.count} steps in ${RUNS} runs\n`);
  expect(stepsRun.count).toBeGreaterThan(RUNS);
});
