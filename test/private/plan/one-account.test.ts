/**
 * `cdk-security-members plan` for InspectorMembers and MacieMembers, against the local endpoint
 * after deployments through the bundled handler: their targets, what would change (scan types,
 * associations still under way, invitations), exit codes, and only reads on the wire.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { startPlanWorld } from './plan-world';
import { InspectorMembers, InspectorScanType, MacieMembers } from '../../../src';
import { EXIT_CHANGES, EXIT_UNCHANGED, runCli } from '../../../src/private/plan/cli';
import { CloudFormationSimulator, synthesizeStack, Template } from '../../endpoint/cloudformation-driver';
import { Endpoint } from '../../endpoint/member-endpoint';

jest.setTimeout(60_000);

const READ_ONLY = /^(List|Get|BatchGet|Describe)/;

let endpoint: Endpoint;
let cfn: CloudFormationSimulator;
const savedEnv = { ...process.env };
const ids = (n: number, first = 100000000000) => Array.from({ length: n }, (_, i) => String(first + i));

beforeEach(async () => {
  ({ endpoint, cfn } = await startPlanWorld());
});

afterEach(async () => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
  await endpoint.stop();
});

function synth(build: (stack: Stack) => void): { dir: string; template: Template } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
  return { dir, template: synthesizeStack(build, 'Members', { outdir: dir }).template };
}

async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json?: any }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['plan', ...args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, color: false });
  return { code, stdout, stderr, json: args.includes('--json') ? JSON.parse(stdout) : undefined };
}

const sentSince = (from: number) => endpoint.calls.slice(from).map((c) => c.operation);

test('Inspector: its region\'s target, accounts to associate and remove, scan types from → to, an association under way; only reads', async () => {
  const [a, b, c, d] = ids(4);
  [a, b, c, d].forEach((id) => endpoint.inspector.organization.add(id));
  const inspector = (accountIds: string[], scanTypes?: InspectorScanType[]) => (stack: Stack) => {
    new InspectorMembers(stack, 'Inspector', { accountIds, scanTypes });
  };
  await cfn.stack('Members').deploy(synth(inspector([a, b])).template);
  // c's association was started by hand and is still under way.
  endpoint.inspector.settleAfter = {};
  endpoint.inspector.associate(c);

  const changed = synth(inspector([b, c, d], [InspectorScanType.ECR]));
  const before = endpoint.calls.length;
  const result = await plan('--app', changed.dir, '--json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(EXIT_CHANGES);
  const [target] = result.json.targets;
  expect(target).toMatchObject({ service: 'Inspector', target: 'inspector2:us-east-1', settingsNoun: 'scan type' });
  expect(target.resources).toEqual([expect.objectContaining({
    constructPath: 'Members/Inspector/Resource/Default',
    create: [d],
    remove: [a],
    awaiting: [c],
    unchanged: 1,
    blocked: [],
    failures: [],
    planChanges: [{ accountId: b, plan: 'ECR', from: 'DISABLED', to: 'ENABLED' }],
    plansPending: [c, d],
  })]);
  expect(sentSince(before).filter((op) => !READ_ONLY.test(op))).toEqual([]);
  expect(sentSince(before)).toEqual(expect.arrayContaining(['ListMembers', 'BatchGetAccountStatus']));

  const text = await plan('--app', changed.dir);
  expect(text.stdout).toMatch(/Inspector inspector2:us-east-1 \(account 999999999999, us-east-1\)/);
  expect(text.stdout).toContain(`~ scan types Members/Inspector/Resource/Default: ${b} ECR DISABLED → ENABLED`);
  expect(text.stdout).toContain(`… under way Members/Inspector/Resource/Default: ${c} (association started; the deployment awaits it)`);
  expect(text.stdout).toContain(`scan types wait for ${c}, ${d} (not associated yet)`);
});

test('Macie: accounts to create (organization ones and invited ones alike), then nothing once deployed; a member nobody declared is coverage', async () => {
  const [org, invited, handAdded] = ids(3);
  endpoint.macie.organization.add(org);
  endpoint.macie.members.set(handAdded, { accountId: handAdded, email: 'hand@example.com', status: 'Enabled', tags: {}, updatedAt: new Date().toISOString() });
  const { dir, template } = synth((stack) => {
    new MacieMembers(stack, 'Macie', { members: [org, invited].map((accountId) => ({ accountId, email: `root+${accountId}@example.com` })) });
  });
  const first = await plan('--app', dir, '--json');
  expect(first.code).toBe(EXIT_CHANGES);
  expect(first.json.targets[0]).toMatchObject({ service: 'Macie', target: 'macie2:us-east-1' });
  expect(first.json.targets[0].resources[0]).toMatchObject({ create: [org, invited], remove: [], unchanged: 0 });
  expect(first.json.targets[0].coverage.unclaimedMembers).toEqual([{ accountId: handAdded, status: 'Enabled' }]);
  expect(first.json.targets[0].settingsNoun).toBeUndefined();

  await cfn.stack('Members').deploy(template);
  const after = await plan('--app', dir, '--json');
  expect(after.code).toBe(EXIT_UNCHANGED);
  expect(after.json.targets[0].resources[0]).toMatchObject({ create: [], invite: [], unchanged: 2 });
});

test('no member construct at all: says which constructs it looks for', async () => {
  const { dir } = synth((stack) => new CfnWaitConditionHandle(stack, 'Unrelated'));
  const result = await plan('--app', dir);
  expect(result.stdout).toContain('No GuardDutyMembers, DetectiveGraphMembers, SecurityHubMembers, InspectorMembers or MacieMembers in the selected stacks.');
  expect(result.code).toBe(EXIT_UNCHANGED);
});
