/**
 * Where `plan` reads and what it says when it cannot: each stack in its own region (`--region`
 * for environment-agnostic ones only), the account and region of every target, and quick,
 * specific failures for missing credentials, an unknown profile, no region and an unreachable
 * endpoint; `--version`; no SDK notices on a normal run.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { App, Stack } from 'aws-cdk-lib';
import { GuardDutyMembers } from '../../../src';
import { EXIT_CHANGES, EXIT_ERROR, EXIT_UNCHANGED, packageVersion, planWording, runCli } from '../../../src/private/plan/cli';
import { defaultRegion, explainFailure, planClients } from '../../../src/private/plan/session';
import { syntheticAccounts } from '../../endpoint/accounts';
import { Endpoint, startEndpoint } from '../../endpoint/member-endpoint';

jest.setTimeout(60_000);

const ADMIN = '999999999999';
const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'cdk-security-members');
const accounts = syntheticAccounts(3, 11);
const savedEnv = { ...process.env };
let endpoint: Endpoint;
let home: string;

beforeEach(async () => {
  endpoint = await startEndpoint();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-home-'));
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_REGION', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE']) {
    delete process.env[name];
  }
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // No files of the machine's: profiles come from these only.
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await endpoint.stop();
});

/** Synthesizes an app built by `build` into a fresh cdk.out. */
function synthApp(build: (app: App) => void): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-env-'));
  const app = new App({ outdir });
  build(app);
  app.synth();
  return outdir;
}

const oneStack = (env?: { account: string; region: string }) => synthApp((app) => {
  new GuardDutyMembers(new Stack(app, 'Members', { env }), 'GuardDuty', { detectorId: endpoint.model.detectorId, members: accounts.slice(0, 1) });
});

async function plan(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  const code = await runCli(args[0] === '--version' ? args : ['plan', ...args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, color: false });
  return { code, stdout, stderr, ms: Date.now() - started, json: args.includes('--json') && code !== EXIT_ERROR ? JSON.parse(stdout) : undefined };
}

test('each stack is read in its own region, --region only for environment-agnostic ones; account and region per target', async () => {
  const detectorId = endpoint.model.detectorId;
  const dir = synthApp((app) => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      new GuardDutyMembers(new Stack(app, `Members-${region}`, { env: { account: ADMIN, region } }), 'GuardDuty', { detectorId, members: accounts.slice(0, 1) });
    }
    new GuardDutyMembers(new Stack(app, 'Agnostic'), 'GuardDuty', { detectorId, members: accounts.slice(1, 2) });
  });
  const result = await plan('--app', dir, '--json', '--region', 'ap-southeast-2');
  expect(result.code).toBe(EXIT_CHANGES);
  // Three targets, not one: the same detector ID in three regions is three detectors.
  expect(result.json.targets.map((t: any) => [t.service, t.target, t.account, t.region, t.resources[0].stack])).toEqual([
    ['GuardDuty', detectorId, ADMIN, 'us-east-1', 'Members-us-east-1'],
    ['GuardDuty', detectorId, ADMIN, 'eu-west-1', 'Members-eu-west-1'],
    ['GuardDuty', detectorId, ADMIN, 'ap-southeast-2', 'Agnostic'],
  ]);
  // Every call was signed for the region of the stack it read.
  const regions = (operation: string) => endpoint.calls.filter((c) => c.operation === operation).map((c) => c.region).sort();
  expect(regions('GetCallerIdentity')).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
  expect(regions('GetParametersByPath')).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
  expect(result.stderr).toBe('cdk-security-members plan: --region ap-southeast-2 is for environment-agnostic stacks; ' +
    'Members-us-east-1 (us-east-1), Members-eu-west-1 (eu-west-1) are read in their own region.\n');

  const text = await plan('--app', dir, '--region', 'ap-southeast-2');
  for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
    expect(text.stdout).toContain(`GuardDuty ${detectorId} (account ${ADMIN}, ${region})\n`);
  }
});

test('without --region, an environment-agnostic stack is read in AWS_REGION; with no region at all, exit 1 saying how to set one', async () => {
  const dir = oneStack();
  process.env.AWS_REGION = 'eu-central-1';
  const result = await plan('--app', dir, '--json');
  expect(result.json.targets[0]).toMatchObject({ account: ADMIN, region: 'eu-central-1' });

  delete process.env.AWS_REGION;
  const none = await plan('--app', dir);
  expect(none).toMatchObject({ code: EXIT_ERROR, stdout: '' });
  expect(none.stderr).toBe('cdk-security-members plan: stack Members names no region (environment-agnostic), and none is set: ' +
    'pass --region <region>, set AWS_REGION, or use a profile that has a region.\n');
  expect(none.ms).toBeLessThan(3_000);
});

test('without credentials: exit 1 within 3 s, naming the call, the region and how to sign in', async () => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  const result = await plan('--app', oneStack({ account: ADMIN, region: 'us-east-1' }));
  expect(result.code).toBe(EXIT_ERROR);
  expect(result.stderr).toMatch(/^cdk-security-members plan: no usable AWS credentials for STS GetCallerIdentity in us-east-1, from the SDK's default chain \(no --profile or AWS_PROFILE\): .+\. Sign in to the security administrator account, e\.g\. `aws sso login --profile <name>`, and pass --profile <name> \(or set AWS_PROFILE\)\.\n$/);
  expect(result.stderr).not.toContain('CredentialsProviderError');
  expect(result.ms).toBeLessThan(3_000);
  expect(endpoint.calls).toEqual([]);
});

test('an unknown profile: exit 1 before any call, listing the profiles there are', async () => {
  fs.writeFileSync(process.env.AWS_CONFIG_FILE!, '[profile security]\nregion = us-east-1\n[sso-session corp]\nsso_region = us-east-1\n');
  fs.writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE!, '[audit]\naws_access_key_id = a\naws_secret_access_key = b\n');
  const result = await plan('--app', oneStack({ account: ADMIN, region: 'us-east-1' }), '--profile', 'securty');
  expect(result.code).toBe(EXIT_ERROR);
  expect(result.stderr).toBe(`cdk-security-members plan: --profile securty: no such profile in ${process.env.AWS_CONFIG_FILE} or ` +
    `${process.env.AWS_SHARED_CREDENTIALS_FILE} (profiles there: audit, security). Check the name with \`aws configure list-profiles\`, ` +
    'or add the profile with `aws configure sso`.\n');
  expect(result.ms).toBeLessThan(3_000);
  expect(endpoint.calls).toEqual([]);

  // The same for AWS_PROFILE; a profile that exists is used (its credentials read the endpoint).
  process.env.AWS_PROFILE = 'nope';
  expect((await plan('--app', oneStack({ account: ADMIN, region: 'us-east-1' }))).stderr).toContain('AWS_PROFILE nope: no such profile');
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  const known = await plan('--app', oneStack({ account: ADMIN, region: 'us-east-1' }), '--profile', 'audit', '--json');
  expect(known.code).toBe(EXIT_CHANGES);
});

test('an unreachable endpoint: exit 1 within 3 s, no retries, naming the call, the region and the endpoint', async () => {
  // The bundled command, as a user runs it (a test runner's realm would wrap the connection error).
  const started = Date.now();
  const result = await run(['plan', '--app', oneStack({ account: ADMIN, region: 'us-east-1' })], { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(result).toEqual({
    code: EXIT_ERROR,
    stdout: '',
    stderr: 'cdk-security-members plan: could not reach STS GetCallerIdentity in us-east-1 (connect ECONNREFUSED 127.0.0.1:9); ' +
      'the endpoint is set to http://127.0.0.1:9. Check the network connection and any proxy (HTTPS_PROXY), and AWS_ENDPOINT_URL.\n',
  });
  // In process too, the refused connection is not retried.
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
  const inProcess = await plan('--app', oneStack({ account: ADMIN, region: 'us-east-1' }));
  expect(inProcess.stderr).toMatch(/^cdk-security-members plan: could not reach STS GetCallerIdentity in us-east-1 \(connect ECONNREFUSED 127\.0\.0\.1:9\)/);
  expect(inProcess.ms).toBeLessThan(3_000);
});

test('a failed call names its service, operation and region, and the credentials; a denial says what plan needs', async () => {
  const clients = planClients('eu-west-1', undefined);
  const missing = await clients(SSMClient).send(new GetParameterCommand({ Name: '/cdk-security-members/nope' })).catch((err: unknown) => err);
  expect(explainFailure(missing, { region: 'eu-west-1' })).toMatch(/^SSM GetParameter in eu-west-1 with the credentials from AWS_ACCESS_KEY_ID: ParameterNotFound: /);
  const denied = Object.assign(new Error('User is not authorized to perform: guardduty:ListMembers'), { name: 'AccessDeniedException' });
  expect(explainFailure(denied, { region: 'eu-west-1', profile: 'audit' })).toBe('AWS in eu-west-1 denied the credentials from --profile audit: ' +
    'AccessDeniedException: User is not authorized to perform: guardduty:ListMembers. plan needs the read-only permissions the README lists ' +
    '(Preview changes), in the account the stack deploys to.');
  const expired = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' });
  expect(explainFailure(expired, { region: 'us-east-1' })).toBe('AWS in us-east-1 refused the credentials from AWS_ACCESS_KEY_ID: ' +
    'ExpiredToken: The security token included in the request is expired. Sign in again, or check which credentials are set.');
});

test('a connection timeout, a refused connection without an endpoint setting, an expired SSO session, and no region for a profile are explained', async () => {
  const timeout = Object.assign(new Error('Socket timed out without establishing a connection within 5000 ms'), { name: 'TimeoutError' });
  expect(explainFailure(timeout, { region: 'eu-west-1' })).toBe('could not reach AWS in eu-west-1 (Socket timed out without establishing a connection ' +
    `within 5000 ms); the endpoint is set to ${endpoint.url}. Check the network connection and any proxy (HTTPS_PROXY), and AWS_ENDPOINT_URL.`);
  delete process.env.AWS_ENDPOINT_URL;
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
  expect(explainFailure(refused, { region: 'eu-west-1' })).toBe('could not reach AWS in eu-west-1 (connect ECONNREFUSED 10.0.0.1:443). ' +
    'Check the network connection and any proxy (HTTPS_PROXY).');
  process.env.AWS_PROFILE = 'security';
  const sso = new Error('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login');
  expect(explainFailure(sso, { region: 'us-east-1' })).toMatch(/^no usable AWS credentials for AWS in us-east-1, from AWS_PROFILE=security: The SSO session .* Sign in to the security administrator account/);

  delete process.env.AWS_REGION;
  fs.writeFileSync(process.env.AWS_CONFIG_FILE!, '[profile security]\nsso_session = corp\n');
  await expect(defaultRegion(['One', 'Two'], undefined)).rejects.toThrow('stacks One, Two name no region (environment-agnostic), and none is set: ' +
    `pass --region <region>, set AWS_REGION, or set region for profile 'security' in ${process.env.AWS_CONFIG_FILE}.`);
  // The SDK reads each config file once per process: the profile with a region is in another file.
  process.env.AWS_CONFIG_FILE = path.join(home, 'config-with-region');
  fs.writeFileSync(process.env.AWS_CONFIG_FILE, '[profile security]\nregion = ap-south-1\n');
  expect(await defaultRegion(['One'], 'security')).toBe('ap-south-1');
});

test('--version prints the package\'s version, from the source and from the bundled command', async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(packageVersion()).toBe(version);
  expect(await plan('--version')).toMatchObject({ code: EXIT_UNCHANGED, stdout: `cdk-security-members ${version}\n`, stderr: '' });
  expect(await plan('--version', '--app', 'x')).toMatchObject({ stdout: `cdk-security-members ${version}\n` });
  const bundled = await run(['--version'], process.env);
  expect(bundled).toEqual({ code: 0, stdout: `cdk-security-members ${version}\n`, stderr: '' });
});

test('the bundled command prints nothing on stderr on a normal run: no SDK notice about Node.js versions', async () => {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const result = await run(['plan', '--app', oneStack({ account: ADMIN, region: 'us-east-1' }), '--json'], env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(EXIT_CHANGES);
  expect(JSON.parse(result.stdout).targets[0]).toMatchObject({ account: ADMIN, region: 'us-east-1' });
});

test('the handler\'s wording becomes a preview\'s: no "Nothing was changed", no sentence ending twice', () => {
  expect(planWording('ou-1 could not be read: AccessDeniedException: You may not.. Nothing was changed.')).toBe('ou-1 could not be read: AccessDeniedException: You may not.');
  expect(planWording('GuardDuty: this deployment would remove 12 accounts from the detector, more than maxRemovals allows 3. Nothing was changed. ' +
    'If the removals are intended, set maxRemovals to 12 or more.')).toBe('GuardDuty: this deployment would remove 12 accounts from the detector, ' +
    'more than maxRemovals allows 3. If the removals are intended, set maxRemovals to 12 or more.');
  expect(planWording('waited 5 minutes for another run; nothing was changed.')).toBe('waited 5 minutes for another run.');
  expect(planWording('an ellipsis... stays')).toBe('an ellipsis... stays');
});

/** Runs the bundled command as npm links it. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stdout, stderr });
    });
  });
}
