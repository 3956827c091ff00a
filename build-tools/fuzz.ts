/**
 * `npm run fuzz -- [--runs N] [--seed S] [--path P] [--service GuardDuty|Inspector|Macie]`: the
 * ownership invariant's randomized tests (model-based sequences, their runs shared out among the
 * services, and scheduler-chosen interleavings) at length, or one failure replayed (the seed and
 * path a failure prints, with the service it ran against).
 */
import { spawnSync } from 'child_process';

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return args[at].includes('=') ? args[at].split('=')[1] : args[at + 1];
}

const runs = option('runs') ?? '500';
const seed = option('seed') ?? String(Math.floor(Math.random() * 2 ** 31));
const path = option('path');
const service = option('service');
process.stdout.write(`fuzz: ${runs} runs per property, seed ${seed}${path ? `, path ${path}` : ''}${service ? `, ${service} only` : ''}\n`);
const result = spawnSync('npx', ['jest', 'test/invariant', '--coverage=false', '--runInBand'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed, ...(path ? { FUZZ_PATH: path } : {}), ...(service ? { FUZZ_SERVICE: service } : {}) },
});
process.exit(result.status ?? 1);
