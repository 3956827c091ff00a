/** CloudFormation DescribeStacks and DescribeStackResource through the real SDK client: AWS Query, XML answers and ErrorResponse errors. */
import { CloudFormationClient, DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let cfn: CloudFormationClient;

beforeEach(async () => {
  endpoint = await startEndpoint();
  cfn = new CloudFormationClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
});
afterEach(async () => {
  cfn.destroy();
  await endpoint.stop();
});

test('a live stack by name and by ID, with its status as set', async () => {
  const stackId = endpoint.cloudFormation.createStack('Members');
  expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:999999999999:stack\/Members\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const byName = await cfn.send(new DescribeStacksCommand({ StackName: 'Members' }));
  expect(byName.Stacks).toEqual([expect.objectContaining({ StackId: stackId, StackName: 'Members', StackStatus: 'UPDATE_IN_PROGRESS' })]);
  expect(byName.Stacks![0].RootId).toBeUndefined();
  expect(byName.Stacks![0].CreationTime).toBeInstanceOf(Date);
  expect(byName.Stacks![0].LastUpdatedTime).toBeUndefined();

  // An update operation sets LastUpdatedTime; its rollback keeps it (journals of one operation are told by it).
  endpoint.cloudFormation.setStatus('Members', 'UPDATE_IN_PROGRESS');
  const updating = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks![0].LastUpdatedTime;
  expect(updating).toBeInstanceOf(Date);
  endpoint.cloudFormation.setStatus('Members', 'UPDATE_ROLLBACK_IN_PROGRESS');
  const byId = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
  expect(byId.Stacks![0]).toMatchObject({ StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', LastUpdatedTime: updating });
  endpoint.cloudFormation.setStatus('Members', 'UPDATE_IN_PROGRESS');
  const next = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks![0].LastUpdatedTime!;
  expect(next.getTime()).toBeGreaterThan(updating!.getTime());
  expect(endpoint.countFor('CloudFormation', 'DescribeStacks', 'ok')).toBe(4);
});

test('a deleted stack: found by stack ID (DELETE_COMPLETE), not by name; unknown stacks are ValidationError', async () => {
  const old = endpoint.cloudFormation.createStack('Members');
  endpoint.cloudFormation.deleteStack('Members');
  await expect(cfn.send(new DescribeStacksCommand({ StackName: 'Members' }))).rejects.toMatchObject({
    name: 'ValidationError', message: 'Stack with id Members does not exist', $metadata: { httpStatusCode: 400 },
  });
  const deleted = await cfn.send(new DescribeStacksCommand({ StackName: old }));
  expect(deleted.Stacks![0]).toMatchObject({ StackId: old, StackStatus: 'DELETE_COMPLETE', DeletionTime: expect.any(Date) });

  // A new stack of the same name is another stack: the name finds it, the old ID the old one.
  const fresh = endpoint.cloudFormation.createStack('Members');
  expect(fresh).not.toBe(old);
  expect((await cfn.send(new DescribeStacksCommand({ StackName: 'Members' }))).Stacks![0].StackId).toBe(fresh);
  expect((await cfn.send(new DescribeStacksCommand({ StackName: old }))).Stacks![0].StackStatus).toBe('DELETE_COMPLETE');
  // Without a name: every live stack.
  endpoint.cloudFormation.createStack('Other');
  expect((await cfn.send(new DescribeStacksCommand({}))).Stacks!.map((s) => s.StackName)).toEqual(['Members', 'Other']);

  const unknown = 'arn:aws:cloudformation:us-east-1:999999999999:stack/Gone/00000000-0000-0000-0000-000000000000';
  await expect(cfn.send(new DescribeStacksCommand({ StackName: unknown }))).rejects.toMatchObject({ name: 'ValidationError', message: `Stack with id ${unknown} does not exist` });
  expect(endpoint.countFor('CloudFormation', 'DescribeStacks', 'ValidationError')).toBe(2);
});

test('the answer is Query XML and errors are an ErrorResponse, on the wire', async () => {
  endpoint.cloudFormation.createStack('Members');
  const call = (body: string) => fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const ok = await call('Action=DescribeStacks&Version=2010-05-15&StackName=Members');
  expect(ok.headers.get('content-type')).toBe('text/xml');
  expect(await ok.text()).toMatch(/^<DescribeStacksResponse xmlns="http:\/\/cloudformation.amazonaws.com\/doc\/2010-05-15\/"><DescribeStacksResult><Stacks><member><StackId>/);
  const missing = await call('Action=DescribeStacks&Version=2010-05-15&StackName=Nope');
  expect(missing.status).toBe(400);
  expect(await missing.text()).toMatch(/^<ErrorResponse [^>]*><Error><Type>Sender<\/Type><Code>ValidationError<\/Code><Message>Stack with id Nope does not exist<\/Message><\/Error>/);
  const unknown = await call('Action=CreateStack&Version=2010-05-15');
  expect(unknown.status).toBe(400);
  expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
});

test('a nested stack names its parent and root, as DescribeStacks does', async () => {
  const root = endpoint.cloudFormation.createStack('Root');
  const child = endpoint.cloudFormation.createStack('Root-Child-1A2B', 'CREATE_IN_PROGRESS', root);
  const grandchild = endpoint.cloudFormation.createStack('Root-Child-1A2B-Grand-3C4D', 'CREATE_IN_PROGRESS', child);
  const described = (await cfn.send(new DescribeStacksCommand({ StackName: grandchild }))).Stacks![0];
  expect({ ParentId: described.ParentId, RootId: described.RootId }).toEqual({ ParentId: child, RootId: root });
  expect(() => endpoint.cloudFormation.createStack('Orphan', 'CREATE_IN_PROGRESS', 'NoSuchParent')).toThrow('test setup: no parent stack NoSuchParent');
});

test('DescribeStackResource: a declared resource with its physical ID and status; an unknown stack or resource is ValidationError', async () => {
  const stackId = endpoint.cloudFormation.createStack('Members', 'UPDATE_COMPLETE');
  endpoint.cloudFormation.addResource('Members', 'Detector', 'AWS::GuardDuty::Detector', 'a1b2c3d4e5f60718293a4b5c6d7e8f90');
  const { StackResourceDetail: detail } = await cfn.send(new DescribeStackResourceCommand({ StackName: 'Members', LogicalResourceId: 'Detector' }));
  expect(detail).toMatchObject({
    StackName: 'Members',
    StackId: stackId,
    LogicalResourceId: 'Detector',
    PhysicalResourceId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    ResourceType: 'AWS::GuardDuty::Detector',
    ResourceStatus: 'CREATE_COMPLETE',
    LastUpdatedTimestamp: expect.any(Date),
  });
  await expect(cfn.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: 'Graph' }))).rejects.toMatchObject({
    name: 'ValidationError', message: 'Resource Graph does not exist for stack Members', $metadata: { httpStatusCode: 400 },
  });
  await expect(cfn.send(new DescribeStackResourceCommand({ StackName: 'Other', LogicalResourceId: 'Detector' }))).rejects.toMatchObject({
    name: 'ValidationError', message: 'Stack \'Other\' does not exist',
  });
  expect(endpoint.countFor('CloudFormation', 'DescribeStackResource', 'ok')).toBe(1);
});
