/**
 * Scheduled syncs in the handler, over the GuardDuty fake and the ledger on the local endpoint:
 * what a sync restores, when it skips, and how a failure ends (logged, one metric, no throw).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as detective from '@aws-sdk/client-detective';
import * as guardduty from '@aws-sdk/client-guardduty';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as securityhub from '@aws-sdk/client-securityhub';
import { SSMClient } from '@aws-sdk/client-ssm';
import { accountIds, cfnEvent, clientsOf, encoded, FakeGuardDuty, lambdaContext } from './fakes';
import { handleEvent, route } from '../../src/private/reconcile.lambda';
import { SyncResult } from '../../src/private/run/sync';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

const DETECTOR = 'd0123456789abcdef0123456789abcdef';
const LOCK = `/cdk-security-members/guardduty/${DETECTOR}/lock`;

let gd: FakeGuardDuty;
let endpoint: Endpoint;
let stackId: string;
let errors: string[];

beforeEach(async () => {
  gd = new FakeGuardDuty();
  endpoint = await startEndpoint();
  stackId = endpoint.cloudFormation.createStack('Security', 'CREATE_IN_PROGRESS');
  errors = [];
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { errors.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')); });
});

afterEach(async () => {
  gd.mock.restore();
  jest.restoreAllMocks();
  await endpoint.stop();
});

function clients() {
  const wire = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  return clientsOf(
    new guardduty.GuardDutyClient({ region: 'us-east-1', maxAttempts: 1 }),
    new detective.DetectiveClient({ region: 'us-east-1', maxAttempts: 1 }),
    new securityhub.SecurityHubClient({ region: 'us-east-1', maxAttempts: 1 }),
    new SSMClient(wire), new CloudFormationClient(wire), new OrganizationsClient(wire), new CloudWatchClient(wire),
  );
}

const props = (ids: string[], extra: Record<string, unknown> = {}) => ({ Service: 'GuardDuty', DetectorId: DETECTOR, Members: encoded(ids), Schema: '2', ...extra });
const sync = (request: Partial<{ Service: string; Target: string; StackId: string; LogicalId: string }> = {}) =>
  route({ CdkSecurityMembersSync: { Service: 'GuardDuty', Target: DETECTOR, StackId: stackId, LogicalId: 'Members', ...request } }, lambdaContext, clients()) as
    Promise<SyncResult>;

async function deployed(ids: string[], extra: Record<string, unknown> = {}) {
  await handleEvent(cfnEvent('Create', props(ids, extra), { stackId }), lambdaContext, clients());
  endpoint.cloudFormation.setStatus(stackId, 'CREATE_COMPLETE');
  ids.forEach((id) => gd.add(id, 'Enabled'));
}

test('a sync restores a member removed by hand with the claim\'s declaration, and removes nothing it should keep', async () => {
  const ids = accountIds(3);
  await deployed(ids);
  gd.members.delete(ids[1]);
  gd.add('777777777777', 'Enabled');
  const result = await sync();
  expect(result).toMatchObject({ outcome: 'synced', summary: expect.objectContaining({ Created: 1 }) });
  expect(gd.state()).toMatchObject({ [ids[0]]: 'Enabled', [ids[2]]: 'Enabled', 777777777777: 'Enabled' });
  expect(gd.state()[ids[1]]).toBeDefined();
  expect(gd.callsOf('DeleteMembers')).toEqual([]);
  expect(endpoint.ssm.parameters.has(LOCK)).toBe(false);
});

test('a sync skips when the resource has no claim, when another run holds the lock, and while the stack deploys', async () => {
  expect(await sync()).toEqual({ outcome: 'skipped', reason: 'no claim' });
  await deployed(accountIds(2));
  endpoint.ssm.put({ Name: LOCK, Value: JSON.stringify({ owner: 'other-run', expires: Date.now() + 60_000 }), Type: 'String' });
  expect(await sync()).toMatchObject({ outcome: 'skipped', reason: 'locked' });
  endpoint.ssm.parameters.delete(LOCK);
  endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
  const before = gd.calls.length;
  gd.members.clear();
  expect(await sync()).toMatchObject({ outcome: 'skipped', reason: 'deploying' });
  // Nothing restored while the deployment runs.
  expect(gd.calls.slice(before).filter((c) => c.operation === 'CreateMembers')).toEqual([]);
});

test('a failed sync logs its reason, publishes one SyncFailures point, and does not throw', async () => {
  const unit = endpoint.organizations.addOrganizationalUnit('Workloads');
  await deployed(accountIds(2));
  // The claim's declaration now names an OU the account cannot read.
  endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
  await handleEvent(cfnEvent('Update', props(accountIds(2), { OrganizationalUnits: [unit] }), { stackId, old: props(accountIds(2)), physicalId: DETECTOR }),
    lambdaContext, clients());
  endpoint.cloudFormation.setStatus(stackId, 'UPDATE_COMPLETE');
  endpoint.organizations.unreadable.add(unit);
  const result = await sync();
  expect(result).toMatchObject({ outcome: 'failed', reason: expect.stringContaining(`organizationalUnits: ${unit} could not be read`) });
  expect(errors.some((line) => line.includes('sync failed'))).toBe(true);
  expect(endpoint.cloudWatch.metrics).toEqual([expect.objectContaining({
    namespace: 'CdkSecurityMembers', name: 'SyncFailures', value: 1, dimensions: { Service: 'GuardDuty', Target: DETECTOR },
  })]);
});

test('a sync for an unknown service fails with its reason, and a metric that cannot be published is logged, not thrown', async () => {
  await endpoint.stop();
  const result = await sync({ Service: 'Shield' });
  expect(result).toMatchObject({ outcome: 'failed', reason: expect.stringContaining("'Shield' is no member service") });
  expect(errors.some((line) => line.includes('the sync failure metric could not be published'))).toBe(true);
  endpoint = await startEndpoint();
});
