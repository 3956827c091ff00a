/**
 * `cdk-security-members plan`: a read-only preview of what the next deployment of the member
 * resources in a cloud assembly would do, per target, with the handler's own planner.
 * Exit 0: nothing would change; 2: something would; 1: an error.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PlanInputError, readAssembly, selectStacks } from './assembly';
import { previewResources, TargetPlan, wouldChange } from './preview';
import { renderJson, renderText } from './render';
import { clientConfig } from '../clients';
import { describeError, ReconcileError } from '../engine';
import { ClientFactory } from '../services/member-service';
import { MEMBER_READERS } from '../services/readers';

export const EXIT_UNCHANGED = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

export const USAGE = `Usage: cdk-security-members plan [--app <cdk.out>] [--stack <name>]... [--json] [--region <region>] [--profile <profile>]

Shows what the next deployment would do to GuardDuty, Detective and Security Hub membership,
read-only, with the credentials of the administrator account (the SDK's default chain).

  --app <dir>        the synthesized cloud assembly (default: cdk.out)
  --stack <name>     only this stack (repeatable; default: every stack)
  --json             machine-readable output (see README, Preview changes)
  --region <region>  the region to read in (default: the stack's, else AWS_REGION)
  --profile <name>   a profile of your AWS config files

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

function parseArguments(argv: readonly string[]): PlanOptions | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return 'help';
  }
  if (command !== 'plan') {
    throw new PlanInputError(`unknown command '${command}': the command is 'plan'`);
  }
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
      default: throw new PlanInputError(`unknown option '${rest[i]}'\n\n${USAGE}`);
    }
  }
  return { app, stacks, json, region, profile };
}

/** Clients for one region: the handler's retry settings, the caller's credentials. */
function regionClients(region: string | undefined, profile: string | undefined): ClientFactory {
  const clients = new Map<unknown, unknown>();
  return (client) => {
    if (!clients.has(client)) {
      clients.set(client, new client({ ...clientConfig(), ...(region ? { region } : {}), ...(profile ? { profile } : {}) }));
    }
    return clients.get(client) as InstanceType<typeof client>;
  };
}

/** Runs the command; answers the exit code. Errors are printed, never thrown. */
export async function runCli(argv: readonly string[], io: PlanIo): Promise<number> {
  let options: PlanOptions | 'help';
  try {
    options = parseArguments(argv);
  } catch (err) {
    io.stderr(`cdk-security-members: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }
  if (options === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT_UNCHANGED;
  }
  try {
    const resourceTypes = new Set(MEMBER_READERS.map((r) => r.definition.resourceType));
    const stacks = selectStacks(readAssembly(options.app, resourceTypes), options.stacks).filter((s) => s.resources.length > 0);
    const targets: TargetPlan[] = [];
    // Stacks deploy per region (and account): plan each with clients of its region.
    const byRegion = new Map<string, typeof stacks>();
    for (const stack of stacks) {
      const region = options.region ?? stack.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '';
      byRegion.set(region, [...(byRegion.get(region) ?? []), stack]);
    }
    for (const [region, regionStacks] of byRegion) {
      const clients = regionClients(region || undefined, options.profile);
      const caller = await clients(STSClient).send(new GetCallerIdentityCommand({}));
      const wrong = regionStacks.find((s) => s.account !== undefined && s.account !== caller.Account);
      if (wrong) {
        throw new PlanInputError(`stack ${wrong.stackName} deploys to account ${wrong.account}, but the credentials are account ${caller.Account}: ` +
          'plan with the credentials of the account the stack deploys to (--profile)');
      }
      targets.push(...await previewResources(regionStacks.flatMap((s) => s.resources), {
        clients,
        readers: MEMBER_READERS,
        adminAccount: caller.Account,
      }));
    }
    io.stdout(options.json ? renderJson(targets) : renderText(targets, io.color));
    return wouldChange(targets) ? EXIT_CHANGES : EXIT_UNCHANGED;
  } catch (err) {
    const message = err instanceof PlanInputError || err instanceof ReconcileError ? err.message : describeError(err);
    io.stderr(`cdk-security-members plan: ${message}\n`);
    return EXIT_ERROR;
  }
}
