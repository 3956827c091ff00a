import { App, CfnParameter, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DetectiveGraphMembers, GuardDutyMemberRemoval, GuardDutyMembers } from '../src';
import { maskedTemplate, newStack, snapshotStack, synthTwice } from './util';
import { decodeAccounts } from '../src/private/ledger/codec';
import { HANDLER_TIMEOUT, PROVIDER_TOTAL_TIMEOUT } from '../src/private/members-provider';
import { TIME_RESERVE_MS } from '../src/private/reconcile.lambda';
import { LOCK_TTL_MS, RUN_BUDGET_MS, UNDO_BUDGET_MS } from '../src/private/run/budgets';

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
      RemovalPolicy: 'DESTROY',
      Schema: '2',
      ServiceTimeout: '2100',
      Message: Match.absent(),
      MaxRemovals: Match.absent(),
      // No other construct of this stack declares GuardDuty members.
      Siblings: Match.absent(),
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
      maxRemovals: 40,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::GuardDutyMembers', {
      DetectorId: Match.absent(),
      Invite: false,
      Message: 'hello',
      DisableEmailNotification: true,
      MemberRemoval: 'DISASSOCIATE',
      FailOnUnprocessed: false,
      RemovalPolicy: 'RETAIN',
      MaxRemovals: 40,
    });
    // The custom resource is always deleted (its claim in the ledger must go); RETAIN keeps the members.
    template.hasResource('Custom::GuardDutyMembers', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
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
    // The reconcile handler and the Provider framework's onEvent, isComplete and onTimeout functions.
    template.resourceCountIs('AWS::Lambda::Function', 4);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
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
    // Past the Provider framework's total timeout (its own failure reason comes first), well under an hour.
    expect(timeout).toBeGreaterThan(PROVIDER_TOTAL_TIMEOUT.toSeconds());
    expect(timeout).toBeLessThanOrEqual(40 * 60);
    // The handler ends its own work (and an undo) before the framework's timeout, so it reports its own reason.
    expect(RUN_BUDGET_MS + UNDO_BUDGET_MS + TIME_RESERVE_MS).toBeLessThan(PROVIDER_TOTAL_TIMEOUT.toMilliseconds());
    expect(LOCK_TTL_MS).toBeGreaterThan(HANDLER_TIMEOUT.toMilliseconds());
  });

  test('no managed policies on any role', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A');
    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role');
    // Handler, framework onEvent, framework isComplete/timeout, and the framework's waiter.
    expect(Object.keys(roles)).toHaveLength(4);
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
      Action: ['guardduty:CreateMembers', 'guardduty:DeleteMembers', 'guardduty:DescribeOrganizationConfiguration', 'guardduty:DisassociateMembers', 'guardduty:GetDetector', 'guardduty:GetMembers', 'guardduty:InviteMembers', 'guardduty:ListMembers'],
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

  test('besides the detector: the log group, the ownership ledger\'s parameters and DescribeStacks', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'A', { detectorId: 'abc' });
    const statements = handlerStatements(stack);
    expect(statements).toHaveLength(4);
    const where = (service: string, resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, resource]],
    });
    expect(statements).toContainEqual({
      Sid: 'OwnershipLedger',
      Effect: 'Allow',
      Action: ['ssm:DeleteParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter'],
      Resource: where('ssm', ':parameter/cdk-security-members/*'),
    });
    expect(statements).toContainEqual({ Sid: 'StackStatus', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: where('cloudformation', ':stack/*/*') });
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
    expect(() => new GuardDutyMembers(newStack(), 'Members', { members: [{ accountId: '1', email: 'a@example.com' }] }))
      .toThrow(expect.objectContaining({ constructPath: 'TestStack/Members' }));
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

describe('declarations across constructs', () => {
  const a = { accountId: '222222222222', email: 'a@example.com' };
  const b = { accountId: '333333333333', email: 'b@example.com' };
  const c = { accountId: '444444444444', email: 'c@example.com' };

  function siblingsOf(stack: Stack, logicalIdPrefix: string): string[] {
    const resources = Template.fromStack(stack).findResources('Custom::GuardDutyMembers');
    const [, resource] = Object.entries(resources).find(([id]) => id.startsWith(logicalIdPrefix))!;
    return decodeAccounts(resource.Properties.Siblings?.Accounts);
  }

  test('each resource carries what the stack\'s other constructs of the service declare, so a move removes nothing in either update order', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Workloads', { members: [a, b] });
    const sandbox = new GuardDutyMembers(stack, 'Sandbox', { members: [c] });
    new DetectiveGraphMembers(stack, 'Graph', { members: [a, b, c] });
    sandbox.addMember({ accountId: '555555555555', email: 'd@example.com' });
    expect(siblingsOf(stack, 'Workloads')).toEqual(['444444444444', '555555555555']);
    expect(siblingsOf(stack, 'Sandbox')).toEqual(['222222222222', '333333333333']);
  });

  test('the same account declared twice on one detector fails synth, naming both constructs and the account', () => {
    const app = new App();
    const stack = new Stack(app, 'Security', { env: { account: '111111111111', region: 'us-east-1' } });
    new GuardDutyMembers(stack, 'First', { members: [a, b] });
    new GuardDutyMembers(stack, 'Second', { members: [b, c] });
    expect(() => app.synth()).toThrow(/account 333333333333 declared by both Security\/First and Security\/Second on the same GuardDuty detector/);
  });

  test('two stacks of one app in the same account and region share the discovered detector: a duplicate fails synth', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'us-east-1' };
    new GuardDutyMembers(new Stack(app, 'One', { env }), 'Members', { members: [a] });
    new GuardDutyMembers(new Stack(app, 'Two', { env }), 'Members', { members: [a] });
    expect(() => app.synth()).toThrow(/account 222222222222 declared by both One\/Members and Two\/Members/);
  });

  test('other regions, other accounts or another service are other targets: no error', () => {
    const app = new App();
    new GuardDutyMembers(new Stack(app, 'East', { env: { account: '111111111111', region: 'us-east-1' } }), 'Members', { members: [a] });
    new GuardDutyMembers(new Stack(app, 'West', { env: { account: '111111111111', region: 'us-west-2' } }), 'Members', { members: [a] });
    new DetectiveGraphMembers(new Stack(app, 'Graph', { env: { account: '111111111111', region: 'us-east-1' } }), 'Members', { members: [a] });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('removal policy and guard', () => {
  test('RETAIN_ON_UPDATE_OR_DELETE keeps the members like RETAIN (a failed create is undone by the handler anyway)', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    Template.fromStack(stack).hasResourceProperties('Custom::GuardDutyMembers', { RemovalPolicy: 'RETAIN' });
  });

  test.each([-1, 2.5])('maxRemovals %d is refused', (maxRemovals) => {
    expect(() => new GuardDutyMembers(newStack(), 'Members', { maxRemovals })).toThrow(`maxRemovals ${maxRemovals} is not a non-negative integer`);
  });

  test('maxRemovals 0 is allowed (no removal at all)', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members', { maxRemovals: 0 });
    Template.fromStack(stack).hasResourceProperties('Custom::GuardDutyMembers', { MaxRemovals: 0 });
  });
});
