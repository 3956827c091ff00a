/**
 * No member email reaches a log through the CDK Provider framework (issue 19, item 13). The
 * framework's own functions log each request they pass on, resource properties included, at
 * INFO, and isComplete answers "not complete yet" with an error carrying the whole request (the
 * Lambda runtime logs it at ERROR): the provider keeps their application logs to FATAL on every
 * aws-cdk-lib of the peer range, and this test shows what that level keeps out.
 */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GuardDutyMembers } from '../src';

const RUNTIME = path.join(__dirname, '..', 'node_modules', 'aws-cdk-lib', 'custom-resources', 'lib', 'provider-framework', 'runtime');
const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

jest.mock('../node_modules/aws-cdk-lib/custom-resources/lib/provider-framework/runtime/outbound', () => ({
  // The handler answers "not complete yet"; nothing is sent anywhere.
  invokeFunction: async () => ({ Payload: Buffer.from(JSON.stringify({ IsComplete: false })) }),
  startExecution: async () => ({}),
  httpRequest: async () => undefined,
}));

test('every framework function logs at FATAL only, in JSON, to the handler\'s log group', () => {
  const app = new App();
  const stack = new Stack(app, 'Members', { env: { account: '111111111111', region: 'us-east-1' } });
  new GuardDutyMembers(stack, 'GuardDuty', { detectorId: 'd1', members: [{ accountId: '222222222222', email: 'root@example.com' }] });
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } });
  expect(Object.values(functions).map((f) => f.Properties.Handler).sort()).toEqual(['framework.isComplete', 'framework.onEvent', 'framework.onTimeout']);
  for (const fn of Object.values(functions)) {
    expect(fn.Properties.LoggingConfig).toEqual({ LogFormat: 'JSON', ApplicationLogLevel: 'FATAL', LogGroup: { Ref: expect.stringMatching(/^SecurityMembersProviderLogs/) } });
  }
});

test('what FATAL keeps out: the framework\'s isComplete puts the member emails in INFO lines and in its ERROR answer', async () => {
  Object.assign(process.env, {
    USER_ON_EVENT_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:111111111111:function:handler',
    USER_IS_COMPLETE_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:111111111111:function:handler',
  });
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(' ')));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the framework's runtime, as Lambda loads it
  const framework = require(path.join(RUNTIME, 'framework.js'));
  const request = {
    RequestType: 'Create',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/S/1',
    RequestId: 'r1',
    LogicalResourceId: 'Members',
    ResourceType: 'Custom::GuardDutyMembers',
    PhysicalResourceId: 'd1',
    ResourceProperties: { ServiceToken: 'token', Members: ['222222222222:root@example.com'] },
  };
  let thrown: Error | undefined;
  try {
    await framework.isComplete(request);
  } catch (err) {
    thrown = err as Error;
  } finally {
    spy.mockRestore();
  }
  const emitted = [...lines.map((text) => ({ level: 'INFO', text })), { level: 'ERROR', text: thrown?.message ?? '' }];
  const withEmails = emitted.filter((e) => EMAIL.test(e.text));
  expect(withEmails.length).toBeGreaterThan(1);
  // Every one of them is below the level the provider keeps.
  expect(withEmails.every((e) => LEVELS.indexOf(e.level) < LEVELS.indexOf('FATAL'))).toBe(true);
});
