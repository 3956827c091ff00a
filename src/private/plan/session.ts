/**
 * Where `plan` reads, and what it says when it cannot: the profile (checked before any call), the
 * region of environment-agnostic stacks (`--region`, else the SDK's: AWS_REGION or the
 * profile's), clients that fail at once on an unreachable endpoint, and failures explained with
 * the service, operation, region and credentials involved, and what to do.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { PlanInputError } from './assembly';
import { isUnreachable, planClientConfig } from '../clients';
import { describeError } from '../engine';
import { ClientFactory } from '../services/member-service';

/** The service and operation a failed call was sent to (set on the error by planClients). */
const CALL = Symbol('cdk-security-members plan call');
interface Call {
  readonly service: string;
  readonly operation?: string;
}

type Handler = (args: unknown) => Promise<unknown>;
type CallContext = { clientName?: string; commandName?: string };
interface Middleware {
  add(middleware: (next: Handler, context: CallContext) => Handler, options: { step: 'initialize'; name: string }): void;
}

/** Clients for one region and profile; an error from any call names its service and operation. */
export function planClients(region: string, profile: string | undefined): ClientFactory {
  const clients = new Map<unknown, unknown>();
  return (client) => {
    if (!clients.has(client)) {
      const instance = new client({ ...planClientConfig(), region, ...(profile ? { profile } : {}) });
      (instance as unknown as { middlewareStack: Middleware }).middlewareStack.add((next, context) => async (args) => {
        try {
          return await next(args);
        } catch (err) {
          if (err !== null && typeof err === 'object' && !(CALL in err)) {
            const call: Call = { service: (context.clientName ?? 'AWS').replace(/Client$/, ''), operation: context.commandName?.replace(/Command$/, '') };
            Object.defineProperty(err, CALL, { value: call });
          }
          throw err;
        }
      }, { step: 'initialize', name: 'cdkSecurityMembersPlanCall' });
      clients.set(client, instance);
    }
    return clients.get(client) as InstanceType<typeof client>;
  };
}

const configFile = () => process.env.AWS_CONFIG_FILE ?? '~/.aws/config';
const credentialsFile = () => process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials';

/** The profile the SDK will use: `--profile`, else AWS_PROFILE; undefined for the default chain. */
export function chosenProfile(profile: string | undefined): string | undefined {
  return profile ?? (process.env.AWS_PROFILE || undefined);
}

/** Where the credentials come from, for messages: "the credentials from <this>". */
export function credentialsSource(profile: string | undefined): string {
  if (profile) return `--profile ${profile}`;
  if (process.env.AWS_PROFILE) return `AWS_PROFILE=${process.env.AWS_PROFILE}`;
  if (process.env.AWS_ACCESS_KEY_ID) return 'AWS_ACCESS_KEY_ID';
  return 'the SDK\'s default chain (no --profile or AWS_PROFILE)';
}

/** Fails with the profiles there are when the chosen profile is in neither AWS file. */
export async function checkProfile(profile: string | undefined): Promise<void> {
  const name = chosenProfile(profile);
  if (name === undefined) return;
  const files = await loadSharedConfigFiles({ ignoreCache: true });
  if (name in files.configFile || name in files.credentialsFile) return;
  // Profiles only: `[sso-session x]` and `[services x]` sections load as `sso-session.x` and `services.x`.
  const known = [...new Set([...Object.keys(files.configFile), ...Object.keys(files.credentialsFile)])]
    .filter((key) => !/^(sso-session|services)\./.test(key)).sort();
  const flag = profile ? '--profile' : 'AWS_PROFILE';
  throw new PlanInputError(`${flag} ${name}: no such profile in ${configFile()} or ${credentialsFile()} ` +
    `(${known.length > 0 ? `profiles there: ${known.join(', ')}` : 'no profiles there'}). Check the name with ` +
    '`aws configure list-profiles`, or add the profile with `aws configure sso`.');
}

/**
 * The region for environment-agnostic stacks when `--region` is not given: the SDK's own choice
 * (AWS_REGION, AWS_DEFAULT_REGION through the profile, the profile's `region`).
 */
export async function defaultRegion(stackNames: readonly string[], profile: string | undefined): Promise<string> {
  try {
    return await new STSClient({ ...(profile ? { profile } : {}) }).config.region();
  } catch {
    const profileName = chosenProfile(profile);
    throw new PlanInputError(`stack${stackNames.length === 1 ? '' : 's'} ${stackNames.join(', ')} name${stackNames.length === 1 ? 's' : ''} ` +
      'no region (environment-agnostic), and none is set: pass --region <region>, set AWS_REGION' +
      `${profileName ? `, or set region for profile '${profileName}' in ${configFile()}` : ', or use a profile that has a region'}.`);
  }
}

/** Where a group of stacks was being read when a call failed. */
export interface ReadContext {
  readonly region: string;
  readonly profile?: string;
}

/** A failed call in the user's terms: which service, where, with which credentials, and what to do. */
export function explainFailure(err: unknown, where: ReadContext): string {
  const call = (err as { [CALL]?: Call } | undefined)?.[CALL];
  const target = `${call?.service ?? 'AWS'}${call?.operation ? ` ${call.operation}` : ''} in ${where.region}`;
  const source = credentialsSource(where.profile);
  const credentials = `the credentials from ${source}`;
  const { name } = (err ?? {}) as { name?: string };
  const message = String((err as { message?: string } | undefined)?.message ?? err).replace(/^AWS SDK error wrapper for (Error: )?/, '');
  if (name === 'CredentialsProviderError' || /SSO session|sso login|token (is )?expired/i.test(message ?? '')) {
    return `no usable AWS credentials for ${target}, from ${source}: ${message}. Sign in to the security administrator ` +
      'account, e.g. `aws sso login --profile <name>`, and pass --profile <name> (or set AWS_PROFILE).';
  }
  if (isUnreachable(err)) {
    const endpoint = process.env[`AWS_ENDPOINT_URL_${(call?.service ?? '').toUpperCase()}`] ?? process.env.AWS_ENDPOINT_URL;
    return `could not reach ${target} (${message})${endpoint ? `; the endpoint is set to ${endpoint}` : ''}. Check the network ` +
      `connection and any proxy (HTTPS_PROXY)${endpoint ? ', and AWS_ENDPOINT_URL' : ''}.`;
  }
  if (/^(ExpiredToken|ExpiredTokenException|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch)$/.test(name ?? '')) {
    return `${target} refused ${credentials}: ${describeError(err)}. Sign in again, or check which credentials are set.`;
  }
  if (/AccessDenied|NotAuthorized|UnauthorizedOperation/.test(name ?? '')) {
    return `${target} denied ${credentials}: ${describeError(err)}. plan needs the read-only permissions the README lists ` +
      '(Preview changes), in the account the stack deploys to.';
  }
  return `${target} with ${credentials}: ${describeError(err)}`;
}
