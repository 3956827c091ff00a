import { CfnParameter, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DetectiveGraphMembers, GuardDutyMemberRemoval, GuardDutyMembers } from '../src';
import { maskedTemplate, newStack, snapshotStack, synthTwice } from './util';

const members = [
  { accountId: '333333333333', email: 'sandbox@example.com' },
  { accountId: '222222222222', email: 'workloads@example.com' },
];

describe('custom resource', () => {
  test('declares the members, sorted, with the contract defaults', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members', { detectorId: 'abc123', members });
    Template.fromStack(stack).hasResourceProperties('Custom::GuardDutyMembers', {
      Service: 'GuardDuty',
      DetectorId: 'abc123',
      Members: ['222222222222:workloads@example.com', '333333333333:sandbox@example.com'],
      Invite: true,
      DisableEmailNotification: false,
      MemberRemoval: 'DELETE',
      FailOnUnprocessed: true,
      ServiceTimeout: '1200',
      Message: Match.absent(),
    });
    Template.fromStack(stack).hasResource('Custom::GuardDutyMembers', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('every option reaches the resource', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members', {
      members,
      invite: false,
      invitationMessage: 'hello',
      disableEmailNotification: true,
      memberRemoval: GuardDutyMemberRemoval.DISASSOCIATE,
      removalPolicy: RemovalPolicy.RETAIN,
      failOnUnprocessed: false,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::GuardDutyMembers', {
      DetectorId: Match.absent(),
      Invite: false,
      Message: 'hello',
      DisableEmailNotification: true,
      MemberRemoval: 'DISASSOCIATE',
      FailOnUnprocessed: false,
    });
    template.hasResource('Custom::GuardDutyMembers', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('addMember after construction is declared too', () => {
    const stack = newStack();
    const gd = new GuardDutyMembers(stack, 'Members');
    gd.addMember({ accountId: '444444444444', email: 'data@example.com' });
    Template.fromStack(stack).hasResourceProperties('Custom::GuardDutyMembers', { Members: ['444444444444:data@example.com'] });
  });

  test('no members: an empty list', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members');
    Template.fromStack(stack).hasResourceProperties('Custom::GuardDutyMembers', { Members: [] });
  });

  test('detectorId is the resource Ref', () => {
    const stack = newStack();
    const gd = new GuardDutyMembers(stack, 'Members');
    const logicalId = stack.getLogicalId(gd.resource.node.defaultChild as CfnResource);
    expect(stack.resolve(gd.detectorId)).toEqual({ Ref: logicalId });
    expect(stack.resolve(gd.resource.getAttString('Unprocessed'))).toEqual({ 'Fn::GetAtt': [logicalId, 'Unprocessed'] });
  });
});

describe('provider', () => {
  test('one handler per stack for any number of member constructs', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A', { members });
    new GuardDutyMembers(stack, 'B', { detectorId: 'abc' });
    new DetectiveGraphMembers(stack, 'C', { members });
    new DetectiveGraphMembers(stack, 'D');
    const template = Template.fromStack(stack);
    // The reconcile handler and the Provider framework's onEvent function.
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
  });

  test('handler: timeout under the framework limit, JSON logs into a log group with retention', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: Duration.minutes(14).toSeconds(),
      MemorySize: 512,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('SecurityMembersProviderLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    // The framework logs events only at FATAL level: no member emails in its logs.
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'framework.onEvent', LoggingConfig: { ApplicationLogLevel: 'FATAL' } });
  });

  test('the handler logs to /aws/lambda/<its name>, the one log group the Provider framework names in failure reasons', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A');
    const template = Template.fromStack(stack);
    const [handler] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));
    const functionName: string = handler.Properties.FunctionName;
    expect(functionName).toMatch(/^TestStack-SecurityMembers-[0-9a-f]{8}$/);
    // What the framework appends to a reason (`Logs: /aws/lambda/<function name from its ARN>`).
    const pointer = `/aws/lambda/${functionName}`;
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: pointer });
  });

  test('the handler name stays within Lambda\'s 64 characters for the longest stack names', () => {
    const stack = new Stack(undefined, 'S'.repeat(128));
    new GuardDutyMembers(stack, 'A');
    const [handler] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));
    expect(handler.Properties.FunctionName.length).toBeLessThanOrEqual(64);
  });

  test('service timeout well under CloudFormation\'s one-hour default', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A');
    const [resource] = Object.values(Template.fromStack(stack).findResources('Custom::GuardDutyMembers'));
    const timeout = Number(resource.Properties.ServiceTimeout);
    expect(timeout).toBeGreaterThan(15 * 60);
    expect(timeout).toBeLessThanOrEqual(30 * 60);
  });

  test('no managed policies on any role', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A');
    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(2);
    for (const role of Object.values(roles)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('permissions', () => {
  const detectorArn = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':guardduty:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':detector/*']],
  };

  function handlerStatements(stack: Stack) {
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('HandlerRole') },
    });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  }

  test('member actions only on the stack account\'s and region\'s detectors; no discovery when the detector is given', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A', { detectorId: 'abc' });
    const statements = handlerStatements(stack);
    expect(statements).toContainEqual({
      Sid: 'GuardDutyMembers',
      Effect: 'Allow',
      Action: ['guardduty:CreateMembers', 'guardduty:DeleteMembers', 'guardduty:DisassociateMembers', 'guardduty:GetDetector', 'guardduty:GetMembers', 'guardduty:InviteMembers', 'guardduty:ListMembers'],
      Resource: detectorArn,
    });
    expect(JSON.stringify(statements)).not.toContain('ListDetectors');
    expect(JSON.stringify(statements)).not.toContain('detective:');
    // Everything but the log-group statement is scoped to detectors.
    const wildcard = statements.filter((s: { Resource: unknown }) => s.Resource === '*');
    expect(wildcard).toEqual([]);
  });

  test('ListDetectors on * only when discovery is used', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A');
    new GuardDutyMembers(stack, 'B');
    const statements = handlerStatements(stack);
    expect(statements.filter((s: { Resource: unknown }) => s.Resource === '*')).toEqual([
      { Sid: 'GuardDutyDiscovery', Effect: 'Allow', Action: 'guardduty:ListDetectors', Resource: '*' },
    ]);
    expect(statements.filter((s: { Sid?: string }) => s.Sid === 'GuardDutyMembers')).toHaveLength(1);
  });

  test('the log group is the only other resource the handler may write to', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A', { detectorId: 'abc' });
    const statements = handlerStatements(stack);
    expect(statements).toHaveLength(2);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SecurityMembersProviderLogs/), 'Arn'] },
    });
  });
});

describe('synth-time validation', () => {
  test.each<[string, object, RegExp]>([
    ['account ID not 12 digits', { members: [{ accountId: '12345', email: 'a@example.com' }] }, /members\[0\]\.accountId '12345' is not a 12-digit AWS account ID/],
    ['email not an address', { members: [{ accountId: '222222222222', email: 'not-an-email' }] }, /members\[0\]\.email 'not-an-email' \(account 222222222222\) is not an email address/],
    ['email too long', { members: [{ accountId: '222222222222', email: `${'a'.repeat(60)}@example.com` }] }, /members\[0\]\.email '.*' \(account 222222222222\) is longer than 64 characters/],
    ['duplicate account', { members: [...members, { accountId: '222222222222', email: 'x@example.com' }] }, /members\[2\]\.accountId '222222222222' is declared twice/],
    ['detector ID with a slash', { detectorId: 'a/b' }, /detectorId 'a\/b' is not a GuardDuty detector ID/],
    ['empty detector ID', { detectorId: '' }, /detectorId '' is not a GuardDuty detector ID/],
    ['snapshot removal policy', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy 'snapshot' is not supported/],
    ['unknown memberRemoval', { memberRemoval: 'SHRED' }, /memberRemoval 'SHRED' is not one of DISASSOCIATE, DELETE/],
    ['invitation message empty', { invitationMessage: '' }, /invitationMessage must be 1 to 1000 characters, got 0/],
    ['invitation message too long', { invitationMessage: 'x'.repeat(1001) }, /invitationMessage must be 1 to 1000 characters, got 1001/],
  ])('%s', (_name, props, message) => {
    expect(() => new GuardDutyMembers(newStack(), 'Members', props)).toThrow(message);
  });

  test('errors name the construct path', () => {
    expect(() => new GuardDutyMembers(newStack(), 'Members', { members: [{ accountId: '1', email: 'a@example.com' }] })).toThrow(/^TestStack\/Members: /);
  });

  test('the stack\'s own account cannot be a member', () => {
    const stack = newStack({ env: { account: '222222222222', region: 'us-east-1' } });
    expect(() => new GuardDutyMembers(stack, 'Members', { members })).toThrow(/members\[1\]\.accountId '222222222222' is this stack's own account/);
  });

  test('addMember validates too', () => {
    const gd = new GuardDutyMembers(newStack(), 'Members', { members });
    expect(() => gd.addMember({ accountId: '222222222222', email: 'again@example.com' })).toThrow(/addMember\(\)\.accountId '222222222222' is declared twice/);
  });

  test('more than 50,000 members is refused', () => {
    const gd = new GuardDutyMembers(newStack(), 'Members');
    for (let i = 0; i < 50_000; i++) {
      gd.addMember({ accountId: String(100000000000 + i), email: 'a@example.com' });
    }
    expect(() => gd.addMember({ accountId: '999999999999', email: 'a@example.com' })).toThrow(/addMember\(\): 50001 members declared, but GuardDuty allows at most 50000 per administrator account/);
  });

  test('unresolved tokens pass through', () => {
    const stack = newStack();
    const account = new CfnParameter(stack, 'Account').valueAsString;
    const email = new CfnParameter(stack, 'Email').valueAsString;
    const detector = new CfnParameter(stack, 'Detector').valueAsString;
    new GuardDutyMembers(stack, 'Members', { detectorId: detector, members: [{ accountId: account, email }] });
    Template.fromStack(stack).hasResourceProperties('Custom::GuardDutyMembers', {
      DetectorId: { Ref: 'Detector' },
      Members: [{ 'Fn::Join': ['', [{ Ref: 'Account' }, ':', { Ref: 'Email' }]] }],
    });
  });
});

describe('snapshots', () => {
  const build = (stack: Stack) => {
    new GuardDutyMembers(stack, 'GuardDutyMembers', { detectorId: 'abc123', members, invitationMessage: 'Welcome' });
  };

  test('template', () => {
    expect(maskedTemplate(snapshotStack(build).stack)).toMatchSnapshot();
  });

  test('two synths of the same app give byte-identical templates', () => {
    const [first, second] = synthTwice(build);
    expect(second).toBe(first);
  });
});
