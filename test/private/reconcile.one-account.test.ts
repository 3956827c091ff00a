/**
 * Inspector and Macie through the handler's source (not the bundle), over the local endpoint's
 * models on the wire: their SDK adapters, readers and targets, the scan types, organization
 * accounts read back without an email (journaled with the declared one, so a rollback creates
 * them again), and a deploy-time check of what synth could not see.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { Macie2Client } from '@aws-sdk/client-macie2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSMClient } from '@aws-sdk/client-ssm';
import { accountIds, cfnEvent, clientsOf, lambdaContext } from './fakes';
import { handleEvent } from '../../src/private/reconcile.lambda';
import { inspector } from '../../src/private/services/inspector/api';
import { macie } from '../../src/private/services/macie/api';
import { ClientFactory } from '../../src/private/services/member-service';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

let endpoint: Endpoint;
let stackId: string;
let clients: ClientFactory;

beforeEach(async () => {
  endpoint = await startEndpoint();
  stackId = endpoint.cloudFormation.createStack('Security');
  for (const level of ['info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
  const wire = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  clients = clientsOf(new Inspector2Client(wire), new Macie2Client(wire), new OrganizationsClient(wire), new SSMClient(wire),
    new CloudFormationClient(wire));
});

afterEach(async () => {
  jest.restoreAllMocks();
  await endpoint.stop();
});

const run = (event: ReturnType<typeof cfnEvent>) => handleEvent(event, lambdaContext, clients);

describe('Inspector', () => {
  const TARGET = 'inspector2:us-east-1';
  const props = (ids: string[], extra: Record<string, unknown> = {}) =>
    ({ Service: 'Inspector', Members: ids.map((id) => `${id}:`), Invite: 'false', MemberRemoval: 'DISASSOCIATE', Schema: '2', ...extra });
  const active = () => Object.fromEntries(Object.entries(endpoint.inspector.state()).filter(([, s]) => s !== 'REMOVED'));

  test('create with scan types, update, delete: the target is the region\'s Inspector; Enable only where a scan type is off', async () => {
    const [a, b, c] = accountIds(3);
    [a, b, c].forEach((id) => endpoint.inspector.organization.add(id));
    endpoint.inspector.scanTypes.set(b, new Set(['EC2', 'ECR']));
    const created = await run(cfnEvent('Create', props([a, b], { ScanTypes: ['EC2', 'ECR'] }), { stackId }));
    expect(created).toMatchObject({ PhysicalResourceId: TARGET, Data: { Target: TARGET, Created: 2, Unprocessed: 0 } });
    expect(active()).toEqual({ [a]: 'ENABLED', [b]: 'ENABLED' });
    expect(endpoint.calls.filter((x) => x.operation === 'Enable').map((x) => x.accountIds)).toEqual([[a]]);
    expect([...endpoint.inspector.scanTypes.get(a)!].sort()).toEqual(['EC2', 'ECR']);

    await run(cfnEvent('Update', props([a, c]), { old: props([a, b]), physicalId: TARGET, stackId }));
    expect(active()).toEqual({ [a]: 'ENABLED', [c]: 'ENABLED' });
    await run(cfnEvent('Delete', props([a, c]), { physicalId: TARGET, stackId }));
    expect(active()).toEqual({});
    expect(endpoint.count('DeleteMember')).toBe(0);
  });

  test('an account outside the organization fails with the service\'s refusal; GetMember\'s AccessDenied for it reads as no member', async () => {
    const [a, outsider] = accountIds(2);
    endpoint.inspector.organization.add(a);
    await expect(run(cfnEvent('Create', props([a, outsider]), { stackId })))
      .rejects.toThrow(new RegExp(`AssociateMember, 1 account: "AccessDeniedException: [^"]+" \\(${outsider}\\)`));
    expect(active()).toEqual({});
    expect(await inspector.memberReads(clients, TARGET).getMembers([outsider])).toEqual([]);
  });

  test('scan types that deploy-time values make invalid fail before any change', async () => {
    endpoint.inspector.organization.add('100000000000');
    await expect(run(cfnEvent('Create', props(['100000000000'], { ScanTypes: ['EC2', 'ECS'] }), { stackId })))
      .rejects.toThrow("ScanTypes[1]: 'ECS' is not one of EC2, ECR, LAMBDA, LAMBDA_CODE, CODE_REPOSITORY");
    expect(endpoint.count('AssociateMember')).toBe(0);
    expect(inspector.readSettings!({ ScanTypes: ['EC2', 'EC2'] } as never, false)).toEqual({ EC2: 'ENABLED' });
    expect(() => inspector.readSettings!({ ScanTypes: 'EC2' } as never, true)).toThrow("ScanTypes: expected a list, got 'EC2'");
  });

  test('the target: its own region\'s Inspector, never gone; invitations and deletes are not Inspector\'s', async () => {
    expect(inspector.isTarget(TARGET)).toBe(true);
    expect(inspector.isTarget('arn:aws:cloudformation:us-east-1:999999999999:stack/x/1-CREATE_FAILED')).toBe(false);
    await expect(inspector.targetGone(new Error('x'), clients, TARGET)).resolves.toBe(false);
    const api = inspector.memberApi(clients, TARGET, {});
    await expect(api.inviteMembers(['100000000000'])).rejects.toThrow(/no invitations/);
    await expect(api.deleteMembers(['100000000000'])).rejects.toThrow(/no DeleteMember/);
    await expect(api.settings!.write(['100000000000'], { EC2: 'DISABLED' }, {})).resolves.toEqual([]);
    // An account not associated yet answers Enable with ACCESS_DENIED, "not an associated member": not yet, not a failure.
    expect(api.settings!.notYet('ACCESS_DENIED: Invoking account does not have access to account 100000000000: it is not an associated member.')).toBe(true);
    expect(api.settings!.notYet('SSM_THROTTLED: Scanning could not be enabled')).toBe(false);
    // Enable answers per account (failedAccounts): a refused call is every account's.
    expect(api.settings!.refusedPerAccount('AccessDeniedException: no')).toBe(false);
  });
});

describe('Macie', () => {
  const TARGET = 'macie2:us-east-1';
  const props = (ids: string[], extra: Record<string, unknown> = {}) =>
    ({ Service: 'Macie', Members: ids.map((id) => `${id}:root+${id}@example.com`), Invite: 'true', MemberRemoval: 'DELETE', Schema: '2', ...extra });

  test('organization accounts enabled at once, the others invited with the message; removal deletes the record', async () => {
    const [org, invited] = accountIds(2);
    endpoint.macie.organization.add(org);
    const created = await run(cfnEvent('Create', props([org, invited], { Message: 'Join Macie', DisableEmailNotification: 'true' }), { stackId }));
    expect(created).toMatchObject({ PhysicalResourceId: TARGET, Data: { Created: 2, Invited: 1 } });
    expect(endpoint.macie.state()).toEqual({ [org]: 'Enabled', [invited]: 'Invited' });
    expect(endpoint.macie.invitations).toEqual([{ accountId: invited, email: `root+${invited}@example.com`, message: 'Join Macie', emailed: false }]);
    await run(cfnEvent('Update', props([org]), { old: props([org, invited]), physicalId: TARGET, stackId }));
    expect(endpoint.macie.state()).toEqual({ [org]: 'Enabled' });
  });

  test('a rollback creates again the organization account the update removed, with the email its declaration gave it', async () => {
    const [kept, org] = accountIds(2);
    [kept, org].forEach((id) => endpoint.macie.organization.add(id));
    await run(cfnEvent('Create', props([kept, org]), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', props([kept]), { old: props([kept, org]), physicalId: TARGET, stackId }));
    expect(endpoint.macie.state()).toEqual({ [kept]: 'Enabled' });
    // Another resource fails: the rollback update, told by the stack's status.
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Update', props([kept, org]), { old: props([kept]), physicalId: TARGET, stackId }));
    expect(endpoint.macie.state()).toEqual({ [kept]: 'Enabled', [org]: 'Enabled' });
    expect(endpoint.macie.members.get(org)!.email).toBe(`root+${org}@example.com`);
  });

  test('the same from organizational units: the email comes from Organizations again', async () => {
    const organizations = endpoint.organizations;
    const ou = organizations.addOrganizationalUnit('Workloads');
    const [kept, leaving] = accountIds(2, 200000000001);
    for (const id of [kept, leaving]) {
      organizations.addAccount(id, { parentId: ou, email: `org+${id}@example.com` });
      endpoint.macie.organization.add(id);
    }
    const units = { OrganizationalUnits: [ou] };
    await run(cfnEvent('Create', props([], units), { stackId }));
    organizations.moveAccount(leaving, organizations.rootId);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    const changed = { ...units, MaxRemovals: '5' };
    await run(cfnEvent('Update', props([], changed), { old: props([], units), physicalId: TARGET, stackId }));
    expect(endpoint.macie.state()).toEqual({ [kept]: 'Enabled' });
    organizations.moveAccount(leaving, ou);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Update', props([], units), { old: props([], changed), physicalId: TARGET, stackId }));
    expect(endpoint.macie.members.get(leaving)).toMatchObject({ status: 'Enabled', email: `org+${leaving}@example.com` });
  });

  test('the target: its own region\'s Macie, never gone; GetMember of a non-member is no member', async () => {
    expect(macie.isTarget(TARGET)).toBe(true);
    expect(macie.isTarget('inspector2:us-east-1')).toBe(false);
    await expect(macie.targetGone(new Error('x'), clients, TARGET)).resolves.toBe(false);
    expect(await macie.memberReads(clients, TARGET).getMembers(['100000000000'])).toEqual([]);
  });
});
