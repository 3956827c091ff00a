/**
 * `cdk-security-members plan`: a read-only preview of what the next deployment of the member
 * resources in a cloud assembly would do, per target, with the handler's own planner.
 * Exit 0: nothing would change; 2: something would; 1: an error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AssemblyStack, PlanInputError, readAssembly, selectStacks } from './assembly';
import { previewResources, TargetPlan, wouldChange } from './preview';
import { LocatedTargetPlan, renderJson, renderText } from './render';
import { checkProfile, credentialsSource, defaultRegion, explainFailure, planClients } from './session';
import { ReconcileError } from '../engine';
import { MEMBER_READERS } from '../services/readers';

export const EXIT_UNCHANGED = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

export const USAGE = `Usage: cdk-security-members plan [--app <cdk.out>] [--stack <name>]... [--json] [--region <region>] [--profile <profile>]
       cdk-security-members --version

Shows what the next deployment would do to GuardDuty, Detective and Security Hub membership,
read-only, with the credentials of the administrator account (the SDK's default chain).

  --app <dir>        the synthesized cloud assembly (default: cdk.out)
  --stack <name>     only this stack (repeatable; default: every stack)
  --json             machine-readable output (see README, Preview changes)
  --region <region>  the region of environment-agnostic stacks (default: AWS_REGION, else the
                     profile's); a stack with a region is always read in its own
  --profile <name>   a profile of your AWS config files (default: AWS_PROFILE, else the default chain)
  --version          the version of cdk-security-members

Exit codes: 0 nothing would change, 2 something would change, 1 error.`;

/** Where the command writes, and its environment (the process's, in the bin). */
export interface PlanIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Colour only on a terminal. */
  readonly color: boolean;
}

interface PlanOptions {
  readonly app: string;
  readonly stacks: string[];
  readonly json: boolean;
  readonly region?: string;
  readonly profile?: string;
}

function parseArguments(argv: readonly string[]): PlanOptions | 'help' | 'version' {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command === '--version' || command === '-V') return 'version';
  if (command !== 'plan') throw new PlanInputError(`unknown command '${command}': the command is 'plan'`);
  let app = 'cdk.out';
  const stacks: string[] = [];
  let json = false;
  let region: string | undefined;
  let profile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === '') throw new PlanInputError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--app': app = value(); break;
      case '--stack': stacks.push(value()); break;
      case '--json': json = true; break;
      case '--region': region = value(); break;
      case '--profile': profile = value(); break;
      case '--help': case '-h': return 'help';
      case '--version': case '-V': return 'version';
      default: throw new PlanInputError(`unknown option '${rest[i]}'\n\n${USAGE}`);
    }
  }
  return { app, stacks, json, region, profile };
}

/** This package's version, from the package.json above the running module (source or bundle). */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cdk-security-members') return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/**
 * The handler's wording for a command that changes nothing: its "Nothing was changed" goes (a
 * plan never changes anything), and so does the doubled period where a sentence ends twice.
 */
export function planWording(message: string): string {
  return message
    .replace(/\s*Nothing was changed\./g, '')
    .replace(/;?\s*nothing was changed(?=[.;]|$)/g, '')
    .replace(/(?<!\.)\.\.(?!\.)/g, '.');
}

/** Stacks by the region they are read in: their own; `--region`, else the SDK's, for environment-agnostic ones (key ''). */
function byRegion(stacks: readonly AssemblyStack[], region: string | undefined): Map<string, AssemblyStack[]> {
  const groups = new Map<string, AssemblyStack[]>();
  for (const stack of stacks) {
    const key = stack.region ?? region ?? '';
    groups.set(key, [...(groups.get(key) ?? []), stack]);
  }
  return groups;
}

/** Plans the stacks of one region with the caller's credentials, which must be the stacks' account. */
async function planRegion(stacks: readonly AssemblyStack[], region: string, profile: string | undefined): Promise<LocatedTargetPlan[]> {
  const clients = planClients(region, profile);
  const caller = await clients(STSClient).send(new GetCallerIdentityCommand({}));
  const wrong = stacks.find((s) => s.account !== undefined && s.account !== caller.Account);
  if (wrong) {
    throw new PlanInputError(`stack ${wrong.stackName} deploys to account ${wrong.account}, but the credentials ` +
      `(${credentialsSource(profile)}) are account ${caller.Account}: plan with the credentials of the account the stack deploys to (--profile)`);
  }
  const targets = await previewResources(stacks.flatMap((s) => s.resources), { clients, readers: MEMBER_READERS, adminAccount: caller.Account },
    stacks.map((s) => s.stackName));
  return targets.map((target) => locate(target, caller.Account, region));
}

/** A target with where it was read, and the handler's wording made a preview's. */
function locate(target: TargetPlan, account: string | undefined, region: string): LocatedTargetPlan {
  const { service, ...rest } = target;
  return {
    service,
    account,
    region,
    ...rest,
    resources: target.resources.map((r) => ({ ...r, failures: r.failures.map(planWording) })),
  };
}

/**
 * Every selected stack, planned region by region: its member resources, and those of its deployed
 * version that the template no longer has (a stack with none left is read too).
 */
async function planStacks(options: PlanOptions, io: PlanIo): Promise<LocatedTargetPlan[]> {
  const resourceTypes = new Set(MEMBER_READERS.map((r) => r.definition.resourceType));
  const stacks = selectStacks(readAssembly(options.app, resourceTypes), options.stacks);
  const elsewhere = options.region === undefined ? [] : stacks.filter((s) => s.region !== undefined && s.region !== options.region);
  if (elsewhere.length > 0) {
    io.stderr(`cdk-security-members plan: --region ${options.region} is for environment-agnostic stacks; ` +
      `${elsewhere.map((s) => `${s.stackName} (${s.region})`).join(', ')} ${elsewhere.length === 1 ? 'is' : 'are'} read in ` +
      `${elsewhere.length === 1 ? 'its' : 'their'} own region.\n`);
  }
  await checkProfile(options.profile);
  const targets: LocatedTargetPlan[] = [];
  for (const [key, regionStacks] of byRegion(stacks, options.region)) {
    const region = key || await defaultRegion(regionStacks.map((s) => s.stackName), options.profile);
    try {
      targets.push(...await planRegion(regionStacks, region, options.profile));
    } catch (err) {
      throw new PlanFailure(err, { region, profile: options.profile });
    }
  }
  return targets;
}

/** A failure while reading one region, with where it happened. */
class PlanFailure extends Error {
  constructor(readonly failure: unknown, readonly where: { region: string; profile?: string }) {
    super('plan failed');
  }
}

/** The message for a failure: the command's own errors as they are, the SDK's explained. */
function failureMessage(err: unknown): string {
  const cause = err instanceof PlanFailure ? err.failure : err;
  if (cause instanceof PlanInputError || cause instanceof ReconcileError) {
    const where = err instanceof PlanFailure ? ` (in ${err.where.region}, with the credentials from ${credentialsSource(err.where.profile)})` : '';
    return `${planWording(cause.message)}${cause instanceof ReconcileError ? where : ''}`;
  }
  return err instanceof PlanFailure ? explainFailure(cause, err.where) : String((cause as Error)?.message ?? cause);
}

/** Runs the command; answers the exit code. Errors are printed, never thrown. */
export async function runCli(argv: readonly string[], io: PlanIo): Promise<number> {
  let options: ReturnType<typeof parseArguments>;
  try {
    options = parseArguments(argv);
  } catch (err) {
    io.stderr(`cdk-security-members: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }
  if (options === 'help' || options === 'version') {
    io.stdout(options === 'help' ? `${USAGE}\n` : `cdk-security-members ${packageVersion()}\n`);
    return EXIT_UNCHANGED;
  }
  try {
    const targets = await planStacks(options, io);
    io.stdout(options.json ? renderJson(targets) : renderText(targets, io.color));
    return wouldChange(targets) ? EXIT_CHANGES : EXIT_UNCHANGED;
  } catch (err) {
    io.stderr(`cdk-security-members plan: ${failureMessage(err)}\n`);
    return EXIT_ERROR;
  }
}
