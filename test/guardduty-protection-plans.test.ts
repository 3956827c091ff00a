/**
 * `protectionPlans` at synth time: the `ProtectionPlans` property as the handler reads it, every
 * validation rule (as aws-cdk-lib validation errors naming the value), and the permissions it
 * adds only when used.
 */
import { App, Errors, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GuardDutyMembers, GuardDutyProtectionPlans } from '../src';
import { newStack } from './util';

const members = [{ accountId: '222222222222', email: 'workloads@example.com' }];

function resourceOf(plans: GuardDutyProtectionPlans | undefined) {
  const stack = newStack();
  new GuardDutyMembers(stack, 'Members', { detectorId: 'abc123', members, protectionPlans: plans });
  return Template.fromStack(stack);
}

function errorOf(plans: GuardDutyProtectionPlans): Error {
  try {
    resourceOf(plans);
  } catch (err) {
    return err as Error;
  }
  throw new Error('no error');
}

test('the typed plans, Runtime Monitoring with its agents, and newer features by name, as the handler reads them', () => {
  resourceOf({
    s3DataEvents: true,
    eksAuditLogs: false,
    runtimeMonitoring: true,
    eksAddonManagement: true,
    ec2AgentManagement: false,
    additionalFeatures: [{ name: 'AI_PROTECTION', enabled: true, additionalConfiguration: [{ name: 'SOME_SETTING', enabled: false }] }],
  }).hasResourceProperties('Custom::GuardDutyMembers', {
    ProtectionPlans: [
      { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
      { Name: 'EKS_AUDIT_LOGS', Status: 'DISABLED' },
      {
        Name: 'RUNTIME_MONITORING',
        Status: 'ENABLED',
        AdditionalConfiguration: [{ Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' }, { Name: 'EC2_AGENT_MANAGEMENT', Status: 'DISABLED' }],
      },
      { Name: 'AI_PROTECTION', Status: 'ENABLED', AdditionalConfiguration: [{ Name: 'SOME_SETTING', Status: 'DISABLED' }] },
    ],
  });
});

test('no plans, or plans all left out: no property, and no permission beyond membership', () => {
  for (const plans of [undefined, {}]) {
    const template = resourceOf(plans);
    template.hasResourceProperties('Custom::GuardDutyMembers', { ProtectionPlans: Match.absent() });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('MemberDetectors');
  }
});

test('with plans: GetMemberDetectors and UpdateMemberDetectors on the detectors of the stack\'s account and region only', () => {
  const template = resourceOf({ s3DataEvents: true });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({
        Sid: 'GuardDutyMemberSettings',
        Action: ['guardduty:GetMemberDetectors', 'guardduty:UpdateMemberDetectors'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':guardduty:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':detector/*']] },
      })]),
    },
  });
});

test('the attributes PlansChanged and PlansPending', () => {
  const stack = newStack();
  const construct = new GuardDutyMembers(stack, 'Members', { detectorId: 'abc123', members, protectionPlans: { s3DataEvents: true } });
  expect(stack.resolve(construct.attrPlansChanged)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Members/), 'PlansChanged'] });
  expect(stack.resolve(construct.attrPlansPending)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Members/), 'PlansPending'] });
});

describe('validation, naming the value', () => {
  test.each<[string, GuardDutyProtectionPlans, RegExp]>([
    ['an agent configuration without runtimeMonitoring', { eksAddonManagement: true },
      /protectionPlans.eksAddonManagement is set, but runtimeMonitoring is not: .*needs runtimeMonitoring: true/],
    ['an agent configuration with runtimeMonitoring false', { runtimeMonitoring: false, ec2AgentManagement: false },
      /protectionPlans.ec2AgentManagement is set, but runtimeMonitoring is false/],
    ['EKS Runtime Monitoring beside Runtime Monitoring', { runtimeMonitoring: true, additionalFeatures: [{ name: 'EKS_RUNTIME_MONITORING', enabled: true }] },
      /additionalFeatures\[0\].name 'EKS_RUNTIME_MONITORING' beside runtimeMonitoring/],
    ['a malformed feature name', { additionalFeatures: [{ name: 'ai-protection', enabled: true }] },
      /additionalFeatures\[0\].name 'ai-protection' is not a GuardDuty feature name/],
    ['a feature a typed property already sets', { s3DataEvents: true, additionalFeatures: [{ name: 'S3_DATA_EVENTS', enabled: false }] },
      /additionalFeatures\[0\].name 'S3_DATA_EVENTS' is declared twice/],
    ['the same feature twice', { additionalFeatures: [{ name: 'AI_PROTECTION', enabled: true }, { name: 'AI_PROTECTION', enabled: false }] },
      /additionalFeatures\[1\].name 'AI_PROTECTION' is declared twice/],
    ['a malformed configuration name', { additionalFeatures: [{ name: 'AI_PROTECTION', enabled: true, additionalConfiguration: [{ name: 'x', enabled: true }] }] },
      /additionalConfiguration\[0\].name 'x' is not a GuardDuty feature name/],
    ['the same configuration twice', {
      additionalFeatures: [{ name: 'AI_PROTECTION', enabled: true, additionalConfiguration: [{ name: 'ONE', enabled: true }, { name: 'ONE', enabled: true }] }],
    }, /additionalConfiguration\[1\].name 'ONE' is declared twice/],
  ])('%s', (_case, plans, message) => {
    const err = errorOf(plans);
    expect(Errors.isValidationError(err)).toBe(true);
    expect(err.message).toMatch(message);
  });
});

test('two constructs of one app that set one account\'s plan differently: a synth-time error naming both paths, the account and the plan', () => {
  const app = new App();
  const stack = new Stack(app, 'Security', { env: { account: '111111111111', region: 'us-east-1' } });
  new GuardDutyMembers(stack, 'First', { detectorId: 'abc123', members, protectionPlans: { s3DataEvents: true, rdsLoginEvents: true } });
  new GuardDutyMembers(stack, 'Second', { detectorId: 'abc123', members, protectionPlans: { s3DataEvents: false, rdsLoginEvents: true } });
  const synth = () => app.synth();
  expect(synth).toThrow(/protectionPlans: S3_DATA_EVENTS of account 222222222222 is ENABLED by Security\/First and DISABLED by Security\/Second/);
  // The plan both set alike is no conflict of its own (the shared account still is, as for any two constructs).
  expect(synth).not.toThrow(/RDS_LOGIN_EVENTS of account/);
  expect(synth).toThrow(/account 222222222222 declared by both Security\/First and Security\/Second/);
});

test('plans on different detectors, or on different accounts, are no conflict', () => {
  const app = new App();
  const stack = new Stack(app, 'Security', { env: { account: '111111111111', region: 'us-east-1' } });
  new GuardDutyMembers(stack, 'First', { detectorId: 'abc123', members, protectionPlans: { s3DataEvents: true } });
  new GuardDutyMembers(stack, 'Second', {
    detectorId: 'abc123',
    members: [{ accountId: '333333333333', email: 'sandbox@example.com' }],
    protectionPlans: { s3DataEvents: false },
  });
  const other = new Stack(app, 'Elsewhere', { env: { account: '111111111111', region: 'eu-west-1' } });
  new GuardDutyMembers(other, 'Third', { detectorId: 'abc123', members, protectionPlans: { s3DataEvents: false } });
  expect(() => app.synth()).not.toThrow();
});
