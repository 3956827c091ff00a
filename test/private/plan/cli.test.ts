/**
 * `cdk-security-members plan` against the local endpoint (AWS_ENDPOINT_URL), after deployments
 * through the bundled handler: what it reports, its exit codes, and that it only reads.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import { startPlanWorld } from './plan-world';
import { DetectiveGraphMembers, GuardDutyMembers, MemberAccount, SecurityHubMembers } from '../../../src';
import { EXIT_CHANGES, EXIT_ERROR, EXIT_UNCHANGED, runCli } from '../../../src/private/plan/cli';
import { syntheticAccounts } from '../../endpoint/accounts';
import { CloudFormationSimulator, synthesizeStack, Template } from '../../endpoint/cloudformation-driver';
import { Endpoint } from '../../endpoint/member-endpoint';

jest.setTimeout(60_000);

const READ_ONLY = /^(List|Get|Describe)/;

let endpoint: Endpoint;
let cfn: CloudFormationSimulator;
const savedEnv = { ...process.env };
const accounts = syntheticAccounts(8, 7);

beforeEach(async () => {
  ({ endpoint, cfn } = await startPlanWorld());
});

afterEach(async () => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
  await endpoint.stop();
});

/** Synthesizes `build` into a fresh cdk.out; answers its directory and the member resources as the driver deploys them. */
function synth(build: (stack: Stack) => void, stackName = 'Members'): { dir: string; template: Template } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
  return { dir, template: synthesizeStack(build, stackName, { outdir: dir }).template };
}

async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json?: any }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['plan', ...args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, color: false });
  return { code, stdout, stderr, json: args.includes('--json') && code !== EXIT_ERROR ? JSON.parse(stdout) : undefined };
}

const guardDutyOf = (members: MemberAccount[]) => (stack: Stack) => {
  new GuardDutyMembers(stack, 'GuardDuty', { detectorId: endpoint.model.detectorId, members });
};

/** GuardDuty members naming the stack's own CfnDetector `Detector` by `reference` (its Ref or an attribute). */
const ownDetectorOf = (reference: (detector: guardduty.CfnDetector) => string, members: MemberAccount[]) => (stack: Stack) => {
  const detector = new guardduty.CfnDetector(stack, 'Detector', { enable: true });
  new GuardDutyMembers(stack, 'GuardDuty', { detectorId: reference(detector), members });
};

/** The member accounts accept their invitations. */
function accept(members: MemberAccount[]) {
  for (const { accountId } of members) endpoint.model.guardDuty.get(accountId)!.status = 'Enabled';
}

/** The operations the CLI sent (the endpoint's call log since `from`). */
const operationsSince = (from: number) => endpoint.calls.slice(from).map((c) => c.operation);

test('after a change (add two, remove one) and a hand-added member: exit 2 naming exactly those; deployed, exit 0; only reads', async () => {
  const first = synth(guardDutyOf(accounts.slice(0, 4)));
  const stack = cfn.stack('Members');
  await stack.deploy(first.template);
  accept(accounts.slice(0, 4));
  const handAdded = accounts[7].accountId;
  endpoint.model.guardDuty.set(handAdded, { accountId: handAdded, email: accounts[7].email, status: 'Enabled' });

  const changed = synth(guardDutyOf([...accounts.slice(1, 4), accounts[4], accounts[5]]));
  const callsBefore = endpoint.calls.length;
  const result = await plan('--app', changed.dir, '--json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(EXIT_CHANGES);
  expect(result.json.changes).toBe(true);
  const [target] = result.json.targets;
  expect(target).toMatchObject({ service: 'GuardDuty', target: endpoint.model.detectorId });
  expect(target.resources).toEqual([expect.objectContaining({
    stack: 'Members',
    constructPath: 'Members/GuardDuty/Resource/Default',
    create: [accounts[4].accountId, accounts[5].accountId].sort(),
    invite: [],
    recreate: [],
    remove: [accounts[0].accountId],
    released: [],
    blocked: [],
    unchanged: 3,
    failures: [],
  })]);
  expect(target.coverage).toEqual({ unclaimedMembers: [{ accountId: handAdded, status: 'Enabled' }], claimedNotMembers: [], orphanedClaims: [] });
  // Read-only on the wire: every call the CLI made is a List, Get or Describe.
  const sent = operationsSince(callsBefore);
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.filter((op) => !READ_ONLY.test(op))).toEqual([]);

  // The human output: counts first, then the accounts.
  const text = await plan('--app', changed.dir);
  expect(text.code).toBe(EXIT_CHANGES);
  expect(text.stdout).toMatch(/GuardDuty [0-9a-z]+ \(account 999999999999, us-east-1\)\n\s+Resource\s+Create\s+Invite\s+Recreate\s+Remove\s+Blocked\s+Unchanged\n\s+Members\/GuardDuty\/Resource\/Default\s+2\s+0\s+0\s+1\s+0\s+3/);
  expect(text.stdout).toContain(`- remove   Members/GuardDuty/Resource/Default: ${accounts[0].accountId}`);
  expect(text.stdout).toContain(`1 member no declaration holds (${handAdded} Enabled)`);
  expect(text.stdout).not.toMatch(/\u001b\[/);

  await stack.deploy(changed.template);
  accept(accounts.slice(4, 6));
  const after = await plan('--app', changed.dir, '--json');
  expect(after.code).toBe(EXIT_UNCHANGED);
  expect(after.json.changes).toBe(false);
  expect(after.json.targets[0].resources[0]).toMatchObject({ create: [], remove: [], unchanged: 5 });
  // The hand-added member is still reported, and still left alone.
  expect(after.json.targets[0].coverage.unclaimedMembers).toEqual([{ accountId: handAdded, status: 'Enabled' }]);
});

test('a compressed declaration, a discovered detector and graph, the hub, and a stack not deployed yet', async () => {
  const many = syntheticAccounts(6000, 3);
  const { dir } = synth((stack) => {
    new GuardDutyMembers(stack, 'GuardDuty', { members: many });
    new DetectiveGraphMembers(stack, 'Detective', { members: accounts.slice(0, 2) });
    new SecurityHubMembers(stack, 'Hub', { members: accounts.slice(0, 1) });
  });
  const template = JSON.parse(fs.readFileSync(path.join(dir, 'Members.template.json'), 'utf8'));
  expect(JSON.stringify(template)).toContain('MembersCompressed');
  const callsBefore = endpoint.calls.length;
  const result = await plan('--app', dir, '--json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(EXIT_CHANGES);
  const byService = Object.fromEntries(result.json.targets.map((t: any) => [t.service, t]));
  expect(byService.GuardDuty.target).toBe(endpoint.model.detectorId);
  expect(byService.GuardDuty.resources[0].create).toHaveLength(6000);
  expect(byService.Detective.target).toBe(endpoint.model.graphArn);
  expect(byService.Detective.resources[0].create).toEqual(accounts.slice(0, 2).map((a) => a.accountId).sort());
  expect(byService.SecurityHub.target).toMatch(/^arn:aws:securityhub:us-east-1:999999999999:hub\/default$/);
  expect(operationsSince(callsBefore)).toEqual(expect.arrayContaining(['ListDetectors', 'ListGraphs', 'DescribeHub']));
});

test('a target that is a reference to a resource not deployed yet: the deployment creates every declared member (exit 2)', async () => {
  const { dir } = synth(ownDetectorOf((detector) => detector.ref, accounts.slice(0, 2)));
  const result = await plan('--app', dir, '--json');
  expect(result.code).toBe(EXIT_CHANGES);
  expect(result.json.targets).toEqual([expect.objectContaining({ service: 'GuardDuty', deferred: expect.stringMatching(/Ref .*Detector.* is resolved at deploy time/) })]);
  expect(result.json.targets[0].resources[0].create).toEqual(accounts.slice(0, 2).map((a) => a.accountId).sort());
  const text = await plan('--app', dir);
  expect(text.stdout).toContain('GuardDuty: target resolved at deploy time');
  expect(text.stdout).toMatch(/\+ create .*: \d{12}, \d{12}/);
});

test('a target that is a reference to a deployed resource of the stack is read from the stack (Ref and Fn::GetAtt Id)', async () => {
  const detectorId = endpoint.model.detectorId;
  // Deployed as CloudFormation resolves the reference: the detector's ID in the properties.
  const stack = cfn.stack('Members');
  await stack.deploy(synth(guardDutyOf(accounts.slice(0, 2))).template);
  endpoint.cloudFormation.addResource('Members', 'Detector', 'AWS::GuardDuty::Detector', detectorId);
  for (const reference of ['ref', 'attrId'] as const) {
    const { dir } = synth(ownDetectorOf((detector) => detector[reference], accounts.slice(0, 3)));
    const result = await plan('--app', dir, '--json');
    expect(result.code).toBe(EXIT_CHANGES);
    expect(result.json.targets).toEqual([expect.objectContaining({ service: 'GuardDuty', target: detectorId })]);
    expect(result.json.targets[0].deferred).toBeUndefined();
    expect(result.json.targets[0].resources[0]).toMatchObject({ create: [accounts[2].accountId], remove: [], unchanged: 2 });
  }
  // One read per reference and plan run; a detector being deleted is not there any more.
  expect(endpoint.countFor('CloudFormation', 'DescribeStackResource', 'ok')).toBe(2);
  endpoint.cloudFormation.addResource('Members', 'Detector', 'AWS::GuardDuty::Detector', detectorId, 'DELETE_IN_PROGRESS');
  const { dir } = synth(ownDetectorOf((detector) => detector.attrId, accounts.slice(0, 3)));
  const gone = await plan('--app', dir, '--json');
  expect(gone.code).toBe(EXIT_CHANGES);
  expect(gone.json.targets[0].deferred).toMatch(/Fn::GetAtt \["Detector","Id"\] is resolved at deploy time/);
});

test('a reference to a resource attribute other than its physical ID stays a token', async () => {
  const stack = cfn.stack('Members');
  await stack.deploy(synth(guardDutyOf(accounts.slice(0, 1))).template);
  endpoint.cloudFormation.addResource('Members', 'Detector', 'AWS::GuardDuty::Detector', endpoint.model.detectorId);
  const { dir } = synth(ownDetectorOf((detector) => detector.getAtt('Unknown').toString(), accounts.slice(0, 1)));
  const result = await plan('--app', dir, '--json');
  expect(result.json.targets[0].deferred).toMatch(/Fn::GetAtt \["Detector","Unknown"\] is resolved at deploy time/);
  expect(endpoint.count('DescribeStackResource')).toBe(0);
});

test('an OU that cannot be read, and a missing detector, exit 1 with a clear message', async () => {
  const unit = endpoint.organizations.addOrganizationalUnit('Workloads');
  endpoint.organizations.unreadable.add(unit);
  const fromUnit = synth((stack) => new GuardDutyMembers(stack, 'GuardDuty', { detectorId: endpoint.model.detectorId, organizationalUnits: [unit] }));
  const unreadable = await plan('--app', fromUnit.dir);
  expect(unreadable.code).toBe(EXIT_ERROR);
  expect(unreadable.stderr).toMatch(new RegExp(`GuardDuty: organizationalUnits: ${unit} could not be read: (ListAccountsForParent|ListChildren) answered AccessDeniedException`));
  // A preview's wording: no handler sentence about changes, no sentence ending twice; where it read.
  expect(unreadable.stderr).not.toMatch(/Nothing was changed|[^.]\.\.(?!\.)/);
  expect(unreadable.stderr).toMatch(/\(in us-east-1, with the credentials from AWS_ACCESS_KEY_ID\)\n$/);

  endpoint.model.detectorExists = false;
  const discovered = synth((stack) => new GuardDutyMembers(stack, 'GuardDuty', { members: accounts.slice(0, 1) }));
  const missing = await plan('--app', discovered.dir);
  expect(missing.code).toBe(EXIT_ERROR);
  expect(missing.stderr).toMatch(/GuardDuty: ListDetectors found 0 detectors/);
});

test('members from OUs: the ACTIVE accounts are planned, suspended and administrator accounts never', async () => {
  const unit = endpoint.organizations.addOrganizationalUnit('Workloads');
  endpoint.organizations.addAccount(accounts[0].accountId, { parentId: unit });
  endpoint.organizations.addAccount(accounts[1].accountId, { parentId: unit, state: 'SUSPENDED' });
  endpoint.organizations.moveAccount('999999999999', unit);
  const { dir } = synth((stack) => new GuardDutyMembers(stack, 'GuardDuty', { detectorId: endpoint.model.detectorId, organizationalUnits: [unit] }));
  const result = await plan('--app', dir, '--json');
  expect(result.code).toBe(EXIT_CHANGES);
  expect(result.json.targets[0].resources[0].create).toEqual([accounts[0].accountId]);
});

test('usage errors exit 1: no assembly, an unknown stack, an unknown option; --help exits 0', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-empty-'));
  expect(await plan('--app', empty)).toMatchObject({ code: EXIT_ERROR, stderr: expect.stringContaining('holds no cloud assembly') });
  const { dir } = synth(guardDutyOf(accounts.slice(0, 1)));
  expect(await plan('--app', dir, '--stack', 'Nope')).toMatchObject({ code: EXIT_ERROR, stderr: expect.stringContaining("no stack named 'Nope'") });
  expect(await plan('--app', dir, '--bogus')).toMatchObject({ code: EXIT_ERROR, stderr: expect.stringContaining("unknown option '--bogus'") });
  expect(await plan('--help')).toMatchObject({ code: EXIT_UNCHANGED, stdout: expect.stringContaining('Usage: cdk-security-members plan') });
  expect(await plan('--app', dir, '--stack', 'Members', '--region', 'us-east-1', '--json')).toMatchObject({ code: EXIT_CHANGES });
});

test('credentials of another account than the stack deploys to exit 1', async () => {
  endpoint.sts.account = '123456789012';
  const { dir } = synth(guardDutyOf(accounts.slice(0, 1)));
  const result = await plan('--app', dir);
  expect(result.code).toBe(EXIT_ERROR);
  expect(result.stderr).toContain('deploys to account 999999999999, but the credentials (AWS_ACCESS_KEY_ID) are account 123456789012');
});

test('the bundled command (bin/cdk-security-members, as npm links it) plans and exits with the code', async () => {
  const { dir } = synth(guardDutyOf(accounts.slice(0, 2)));
  const bin = path.join(__dirname, '..', '..', '..', 'bin', 'cdk-security-members');
  const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(process.execPath, [bin, 'plan', '--app', dir, '--json'], { env: process.env }, (err, stdout) => {
      resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stdout });
    });
  });
  expect(run.code).toBe(EXIT_CHANGES);
  expect(JSON.parse(run.stdout).targets[0].resources[0].create).toEqual(accounts.slice(0, 2).map((a) => a.accountId).sort());
});

test('coverage names a claimed account that is no longer a member, and the plan creates it again; colour only when asked', async () => {
  const { dir, template } = synth(guardDutyOf(accounts.slice(0, 3)));
  await cfn.stack('Members').deploy(template);
  endpoint.model.guardDuty.delete(accounts[1].accountId);
  const result = await plan('--app', dir, '--json');
  expect(result.code).toBe(EXIT_CHANGES);
  expect(result.json.targets[0].coverage).toEqual({ unclaimedMembers: [], claimedNotMembers: [accounts[1].accountId], orphanedClaims: [] });
  expect(result.json.targets[0].resources[0].create).toEqual([accounts[1].accountId]);

  let coloured = '';
  await runCli(['plan', '--app', dir], { stdout: (t) => { coloured += t; }, stderr: () => undefined, color: true });
  expect(coloured).toContain(`\u001b[32m  + create   Members/GuardDuty/Resource/Default: ${accounts[1].accountId}\u001b[0m`);
});

describe('resources that leave the app', () => {
  const twenty = syntheticAccounts(20, 11);
  const both = (stack: Stack) => {
    new GuardDutyMembers(stack, 'GuardDuty', { detectorId: endpoint.model.detectorId, members: accounts.slice(0, 1) });
    new GuardDutyMembers(stack, 'Workloads', { detectorId: endpoint.model.detectorId, members: twenty });
  };

  test('a construct deleted from the app: exit 2, its removals and the removal guard that refuses them', async () => {
    await cfn.stack('Members').deploy(synth(both).template);
    const { dir } = synth(guardDutyOf(accounts.slice(0, 1)));
    const result = await plan('--app', dir, '--json');
    expect(result.code).toBe(EXIT_CHANGES);
    const deleted = result.json.targets[0].resources.find((r: { deleted?: boolean }) => r.deleted);
    expect(deleted).toMatchObject({ stack: 'Members', remove: twenty.map((a) => a.accountId).sort(), deleted: true });
    expect(deleted.failures).toEqual([expect.stringMatching(/removal of the resource would remove 20 accounts.*more than the default limit of 5/)]);
    const text = await plan('--app', dir);
    expect(text.stdout).toMatch(/Workloads.* \(deleted: no longer in the app\)/);
  });

  test('a stack whose last member construct left: still read, its deletions planned', async () => {
    await cfn.stack('Members').deploy(synth(guardDutyOf(accounts.slice(0, 3))).template);
    const { dir } = synth((stack) => new guardduty.CfnDetector(stack, 'Detector', { enable: true }));
    const result = await plan('--app', dir, '--json');
    expect(result.code).toBe(EXIT_CHANGES);
    const removed = accounts.slice(0, 3).map((a) => a.accountId).sort();
    expect(result.json.targets[0].resources).toEqual([expect.objectContaining({ deleted: true, remove: removed, failures: [] })]);
  });

  test('a claim whose resource left the stack after its Delete was refused is shown as orphaned; no change', async () => {
    const stack = cfn.stack('Members');
    await stack.deploy(synth(both).template);
    await stack.deploy(synth(guardDutyOf(accounts.slice(0, 1))).template);
    expect(stack.skippedDeletes).toHaveLength(1);
    const { dir } = synth(guardDutyOf(accounts.slice(0, 1)));
    const result = await plan('--app', dir, '--json');
    expect(result.code).toBe(EXIT_UNCHANGED);
    expect(result.json.targets[0].coverage.orphanedClaims).toEqual([{ stack: 'Members', logicalId: expect.stringMatching(/^Workloads/), accounts: 20 }]);
    expect((await plan('--app', dir)).stdout).toMatch(/Orphaned claim: Members\/Workloads\w+ holds 20 accounts/);
  });
});

test('protection plans: each account\'s plan changes (from → to) and the members still pending; exit 2', async () => {
  const org = accounts.slice(0, 2);
  const invited = accounts[2];
  org.forEach((a) => endpoint.model.organization.add(a.accountId));
  const build = (plans: boolean) => (stack: Stack) => {
    new GuardDutyMembers(stack, 'GuardDuty', {
      detectorId: endpoint.model.detectorId,
      members: [...org, invited],
      protectionPlans: plans ? { s3DataEvents: false, rdsLoginEvents: true } : undefined,
    });
  };
  await cfn.stack('Members').deploy(synth(build(false)).template);
  const { dir } = synth(build(true));
  const result = await plan('--app', dir, '--json');
  expect(result.code).toBe(EXIT_CHANGES);
  const planned = result.json.targets[0].resources[0];
  expect(planned.planChanges).toEqual(org.map((a) => ({ accountId: a.accountId, plan: 'S3_DATA_EVENTS', from: 'ENABLED', to: 'DISABLED' })));
  expect(planned.plansPending).toEqual([invited.accountId]);
  expect(planned.create).toEqual([]);
  const text = await plan('--app', dir);
  expect(text.stdout).toContain(`: ${org[0].accountId} S3_DATA_EVENTS ENABLED → DISABLED, ${org[1].accountId} S3_DATA_EVENTS ENABLED → DISABLED`);
  expect(text.stdout).toMatch(/~ plans {4}Members\/GuardDuty/);
  expect(text.stdout).toContain(`plans wait for ${invited.accountId}`);
  expect(endpoint.count('UpdateMemberDetectors')).toBe(0);
});
