/**
 * cdk-nag findings the provider cannot avoid, by their full IDs, and the acknowledgements of
 * those on the CDK Provider framework's own roles and waiter; and its functions' log level.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { acknowledge } from './acknowledge';
import { ServiceDefinition } from './services/service-definition';

/** cdk-nag's rendering of a token in a finding ID (`<AWS::Region>`), or the plain value. */
export function nagText(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}

/** The full cdk-nag finding ID of an IAM5 (wildcard) finding on `resource`. */
export function wildcardFinding(resource: string): string {
  return `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`;
}

/** The IAM5 finding of a grant on any target of the service in `stack`'s account and region (`detector/*`). */
export function targetWildcardFinding(stack: Stack, service: ServiceDefinition): string {
  const { arn } = service.target;
  if (!arn) return wildcardFinding('*');
  const where = `arn:<AWS::Partition>:${service.iamPrefix}:${nagText(stack.region, 'AWS::Region')}:${nagText(stack.account, 'AWS::AccountId')}`;
  return wildcardFinding(`${where}:${arn.resource}${arn.separator}*`);
}

/**
 * cdk-nag findings on the Provider framework's own roles and waiter that the library cannot
 * avoid, acknowledged where the installed aws-cdk-lib accepts them (see acknowledge.ts).
 */
export function acknowledgeFramework(provider: Provider, handler: lambda.Function, frameworkRoles: iam.Role[]): void {
  const stack = Stack.of(provider);
  const handlerLogicalId = stack.getLogicalId(handler.node.defaultChild as lambda.CfnFunction);
  for (const role of frameworkRoles) {
    acknowledge(role, [{
      id: wildcardFinding(`<${handlerLogicalId}.Arn>:*`),
      reason: 'The CDK Provider framework grants lambda:InvokeFunction on the handler and its versions (`arn:*`); ' +
        'the wildcard covers versions of this one function only.',
    }]);
  }

  // The framework's waiter (Step Functions) between isComplete calls.
  const waiter = provider.node.findChild('waiter-state-machine');
  for (const fn of ['framework-isComplete', 'framework-onTimeout']) {
    const logicalId = stack.getLogicalId(provider.node.findChild(fn).node.defaultChild as lambda.CfnFunction);
    acknowledge(waiter.node.findChild('Role'), [{
      id: wildcardFinding(`<${logicalId}.Arn>:*`),
      reason: 'The CDK Provider framework\'s waiter state machine may invoke its isComplete and timeout functions and their versions; ' +
        'the wildcard covers versions of those functions only.',
    }]);
  }
  acknowledge(waiter, [{
    id: 'AwsSolutions::AwsSolutions-SF1',
    reason: 'The waiter\'s executions carry the CloudFormation event, member emails included; the handler logs every step as JSON ' +
      'without emails, so the state machine itself does not log.',
  }, {
    id: 'AwsSolutions::AwsSolutions-SF2',
    reason: 'The CDK Provider framework\'s waiter offers no X-Ray tracing setting; it only calls isComplete at intervals.',
  }]);
}

/**
 * The CDK Provider framework's functions log every request they pass on (resource properties,
 * member emails included) at INFO, and isComplete answers "not complete yet" with an error whose
 * message is the whole request (ERROR, as the runtime logs it): their application logs are kept
 * to FATAL, set here explicitly so that every aws-cdk-lib in the peer range does the same. The
 * handler logs every step itself, without emails.
 */
export const FRAMEWORK_APPLICATION_LOG_LEVEL = 'FATAL';
const FRAMEWORK_FUNCTIONS = ['framework-onEvent', 'framework-isComplete', 'framework-onTimeout'];

export function quietFrameworkLogs(provider: Provider): void {
  for (const id of FRAMEWORK_FUNCTIONS) {
    const fn = provider.node.tryFindChild(id)?.node.defaultChild as lambda.CfnFunction | undefined;
    // JSON is the log format that has levels; the log group stays the one the Provider set.
    fn?.addPropertyOverride('LoggingConfig.LogFormat', 'JSON');
    fn?.addPropertyOverride('LoggingConfig.ApplicationLogLevel', FRAMEWORK_APPLICATION_LOG_LEVEL);
  }
}
