/** Synth-time check of a named target, in the stack's account and region when they are known. */
import { Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { validationError } from './errors';
import { ServiceDefinition } from './services/service-definition';

export function checkTarget(scope: Construct, service: ServiceDefinition, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value) || !service.checkTarget) {
    return;
  }
  const stack = Stack.of(scope);
  const known = (v: string) => (Token.isUnresolved(v) ? undefined : v);
  const problem = service.checkTarget(value, { account: known(stack.account), region: known(stack.region) });
  if (problem !== undefined) {
    throw validationError(scope, 'InvalidTarget', problem);
  }
}

/** Synth-time check of an invitation message against the service's limit (tokens pass). */
export function checkMessage(scope: Construct, service: ServiceDefinition, prop: string, message: string | undefined): void {
  const max = service.messageMaxLength;
  if (message === undefined || Token.isUnresolved(message) || max === undefined) {
    return;
  }
  if (message.length < 1 || message.length > max) {
    throw validationError(scope, 'InvalidInvitationMessage', `${prop} must be 1 to ${max} characters, got ${message.length}`);
  }
}
