/**
 * SecurityMembersProvider.configure(): the handler's log retention and removal, VPC placement of
 * the handler and the Provider framework's functions, and permissions boundaries; defaults
 * unchanged without it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GuardDutyMembers, SecurityMembersProvider } from '../src';

const members = [{ accountId: '222222222222', email: 'aws-workloads@example.com' }];
const newStack = () => new Stack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'provider-')) }), 'Security', {
  env: { account: '111111111111', region: 'us-east-1' },
});
const functions = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'));

test('without configure(): one year of retention, the log group retained, no VPC', () => {
  const stack = newStack();
  new GuardDutyMembers(stack, 'GuardDuty', { members });
  const template = Template.fromStack(stack);
  template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
  expect(functions(template).filter((f) => f.Properties.VpcConfig)).toEqual([]);
});

test('log retention and removal policy of the handler\'s log group', () => {
  const stack = newStack();
  SecurityMembersProvider.configure(stack, { logRetention: logs.RetentionDays.TEN_YEARS, logRemovalPolicy: RemovalPolicy.DESTROY });
  new GuardDutyMembers(stack, 'GuardDuty', { members });
  Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 3653 }, DeletionPolicy: 'Delete' });
});

/** A stack whose provider runs in an isolated VPC, with the security group given. */
function inVpc() {
  const stack = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const securityGroup = new ec2.SecurityGroup(stack, 'Egress', { vpc, allowAllOutbound: true });
  SecurityMembersProvider.configure(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, securityGroups: [securityGroup] });
  new GuardDutyMembers(stack, 'GuardDuty', { members });
  return { stack, vpc, securityGroup };
}

test('in a VPC: the handler and the framework\'s functions in the chosen subnets, with inline ENI rights', () => {
  const { stack, securityGroup } = inVpc();
  const template = Template.fromStack(stack);
  const placed = functions(template).filter((f) => f.Properties.VpcConfig);
  // The handler, the framework's onEvent, isComplete and onTimeout functions.
  expect(placed).toHaveLength(4);
  for (const fn of placed) {
    expect(fn.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [stack.getLogicalId(securityGroup.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] }]);
    expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
  }
  // No managed policy: the ENI actions are inline on each of the three roles.
  const roles = Object.values(template.findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r).includes('cdk-security-members'));
  expect(roles.filter((r) => r.Properties.ManagedPolicyArns)).toEqual([]);
  const eniStatements = Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: { Sid?: string }) => s.Sid === 'VpcNetworkInterfaces');
  expect(eniStatements).toHaveLength(3);
});

test('in a VPC: cdk-nag stays clean', () => {
  const { stack, vpc } = inVpc();
  Validations.of(stack.node.root).addPlugins(new AwsSolutionsChecks(stack.node.root));
  // The VPC's own findings (flow logs) are the user's; the library's resources raise none.
  Validations.of(vpc).acknowledge({ id: 'AwsSolutions::AwsSolutions-VPC7', reason: 'test VPC without flow logs' });
  expect(() => (stack.node.root as App).synth()).not.toThrow();
});

test('iam.PermissionsBoundary.of(stack) reaches every role the library creates', () => {
  const stack = newStack();
  const boundary = new iam.ManagedPolicy(stack, 'Boundary', { statements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })] });
  iam.PermissionsBoundary.of(stack).apply(boundary);
  new GuardDutyMembers(stack, 'GuardDuty', { members });
  const roles = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'));
  expect(roles.length).toBeGreaterThanOrEqual(4);
  for (const role of roles) {
    expect(role.Properties.PermissionsBoundary).toEqual({ Ref: stack.getLogicalId(boundary.node.defaultChild as iam.CfnManagedPolicy) });
  }
});

test('configure() after the first member construct, twice, or with subnets but no VPC is a validation error', () => {
  const late = newStack();
  new GuardDutyMembers(late, 'GuardDuty', { members });
  expect(() => SecurityMembersProvider.configure(late, { logRetention: logs.RetentionDays.ONE_MONTH })).toThrow(/comes after the stack's first member construct/);
  const twice = newStack();
  SecurityMembersProvider.configure(twice, {});
  expect(() => SecurityMembersProvider.configure(twice, {})).toThrow(/called twice/);
  expect(() => SecurityMembersProvider.configure(newStack(), { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).toThrow(/need a vpc/);
});
