/** References to a deployed stack's own resources, read with DescribeStackResource. */
import { CloudFormationClient, DescribeStackResourceCommand, DescribeStackResourceCommandOutput, ResourceStatus } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { DeployedResources } from '../../../src/private/plan/deployed';

const cfn = mockClient(CloudFormationClient);
const TYPES = { Detector: 'AWS::GuardDuty::Detector', Graph: 'AWS::Detective::Graph', Fn: 'AWS::Lambda::Function' };

beforeEach(() => {
  cfn.reset();
  cfn.on(DescribeStackResourceCommand, { StackName: 'Members', LogicalResourceId: 'Detector' })
    .resolves({ StackResourceDetail: { LogicalResourceId: 'Detector', PhysicalResourceId: 'd1', ResourceStatus: 'UPDATE_COMPLETE', ResourceType: TYPES.Detector, LastUpdatedTimestamp: new Date() } });
  cfn.on(DescribeStackResourceCommand, { StackName: 'Members', LogicalResourceId: 'Graph' })
    .resolves({ StackResourceDetail: { LogicalResourceId: 'Graph', PhysicalResourceId: 'arn:aws:detective:us-east-1:999999999999:graph:g1', ResourceStatus: 'CREATE_COMPLETE', ResourceType: TYPES.Graph, LastUpdatedTimestamp: new Date() } });
});

test('Ref and the physical-ID attributes (both Fn::GetAtt forms) become the deployed IDs, read once each; other tokens stay', async () => {
  const deployed = new DeployedResources(new CloudFormationClient({ region: 'us-east-1' }));
  // Left as they are: another resource type's attribute, a parameter, a pseudo parameter, an
  // attribute that is not the physical ID, and plain values.
  const untouched = {
    ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] },
    Parameter: { Ref: 'SomeParameter' },
    Pseudo: { Ref: 'AWS::Region' },
    Other: { 'Fn::GetAtt': ['Detector', 'CreatedAt'] },
    Members: ['111111111111:a@example.com'],
    Count: 3,
  };
  const resolved = await deployed.resolve({
    DetectorId: { Ref: 'Detector' },
    Again: { 'Fn::GetAtt': ['Detector', 'Id'] },
    Dotted: { 'Fn::GetAtt': 'Detector.Id' },
    GraphArn: [{ 'Fn::GetAtt': ['Graph', 'Arn'] }],
    ...untouched,
  }, 'Members', TYPES);
  expect(resolved).toEqual({
    DetectorId: 'd1',
    Again: 'd1',
    Dotted: 'd1',
    GraphArn: ['arn:aws:detective:us-east-1:999999999999:graph:g1'],
    ...untouched,
  });
  expect(cfn.commandCalls(DescribeStackResourceCommand).map((c) => c.args[0].input.LogicalResourceId).sort()).toEqual(['Detector', 'Graph']);
});

test('a stack or resource not deployed, one without a live resource, or one of another type, stays a token', async () => {
  cfn.on(DescribeStackResourceCommand, { StackName: 'New' })
    .rejects(Object.assign(new Error('Stack \'New\' does not exist'), { name: 'ValidationError' }));
  const detail = (status: string, type = TYPES.Detector): DescribeStackResourceCommandOutput =>
    ({ $metadata: {}, StackResourceDetail: { LogicalResourceId: 'Detector', PhysicalResourceId: 'd2', ResourceStatus: status as ResourceStatus, ResourceType: type, LastUpdatedTimestamp: new Date() } });
  for (const status of ['CREATE_FAILED', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_SKIPPED', 'IMPORT_ROLLBACK_COMPLETE']) {
    cfn.on(DescribeStackResourceCommand, { StackName: status }).resolves(detail(status));
  }
  cfn.on(DescribeStackResourceCommand, { StackName: 'Retyped' }).resolves(detail('CREATE_COMPLETE', 'AWS::SSM::Parameter'));
  cfn.on(DescribeStackResourceCommand, { StackName: 'Updated' }).resolves(detail('UPDATE_ROLLBACK_COMPLETE'));
  const deployed = new DeployedResources(new CloudFormationClient({ region: 'us-east-1' }));
  expect(await deployed.resolve({ DetectorId: { Ref: 'Detector' } }, 'New', TYPES)).toEqual({ DetectorId: { Ref: 'Detector' } });
  for (const stack of ['CREATE_FAILED', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_SKIPPED', 'IMPORT_ROLLBACK_COMPLETE', 'Retyped']) {
    expect(await deployed.physicalId(stack, 'Detector', TYPES.Detector)).toBeUndefined();
  }
  expect(await deployed.physicalId('Updated', 'Detector', TYPES.Detector)).toBe('d2');
});

test('a ValidationError that is not "does not exist" is the plan\'s error', async () => {
  cfn.on(DescribeStackResourceCommand, { StackName: 'bad name' })
    .rejects(Object.assign(new Error('1 validation error detected: Value \'bad name\' at \'stackName\' failed to satisfy constraint'), { name: 'ValidationError' }));
  const deployed = new DeployedResources(new CloudFormationClient({ region: 'us-east-1' }));
  await expect(deployed.physicalId('bad name', 'Detector', TYPES.Detector)).rejects.toThrow(/failed to satisfy constraint/);
});

test('any other error (missing permission) is the plan\'s error, not a token', async () => {
  cfn.on(DescribeStackResourceCommand, { StackName: 'Locked' })
    .rejects(Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStackResource'), { name: 'AccessDenied' }));
  const deployed = new DeployedResources(new CloudFormationClient({ region: 'us-east-1' }));
  await expect(deployed.resolve({ DetectorId: { Ref: 'Detector' } }, 'Locked', TYPES)).rejects.toThrow(/not authorized to perform: cloudformation:DescribeStackResource/);
});

test('a member resource\'s ServiceToken is left as it is, unread, whatever it refers to', async () => {
  const deployed = new DeployedResources(new CloudFormationClient({ region: 'us-east-1' }));
  const properties = { ServiceToken: { Ref: 'Detector' }, DetectorId: { 'Fn::GetAtt': ['Detector', 'Id'] } };
  expect(await deployed.resolveDeclaration(properties, 'Members', TYPES)).toEqual({ ServiceToken: { Ref: 'Detector' }, DetectorId: 'd1' });
  expect(await deployed.resolveDeclaration({ DetectorId: 'given' }, 'Members', TYPES)).toEqual({ DetectorId: 'given' });
  expect(cfn.commandCalls(DescribeStackResourceCommand)).toHaveLength(1);
});
