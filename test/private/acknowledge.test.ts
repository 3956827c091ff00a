/**
 * cdk-nag acknowledgements are recorded where the installed aws-cdk-lib accepts them, and
 * skipped (the stack still synthesizes) where it has no Validations or refuses an ID.
 */
import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge, Acknowledgement, installedValidations } from '../../src/private/acknowledge';
import { CDK_MINOR } from '../util';

const BRACKETED = { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'wildcard' };
const PLAIN = { id: 'AwsSolutions::AwsSolutions-SF1', reason: 'no logging' };

const construct = () => new Construct(new cdk.Stack(new cdk.App(), 'Stack'), 'Role');
const recordedOn = (scope: Construct) => scope.node.metadata
  .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
  .map((m) => Object.keys(m.data as object)[0]);

test('the installed aws-cdk-lib records what it accepts: all from 2.269.0, the unbracketed from 2.251.0, none before', () => {
  const expected = CDK_MINOR >= 269 ? [BRACKETED.id, PLAIN.id] : CDK_MINOR >= 251 ? [PLAIN.id] : [];
  const scope = construct();
  expect(acknowledge(scope, [BRACKETED, PLAIN])).toEqual(expected);
  expect(recordedOn(scope)).toEqual(expected);
});

test('an aws-cdk-lib without Validations (before 2.251.0): nothing is recorded, nothing fails', () => {
  expect(installedValidations({})).toBeUndefined();
  const scope = construct();
  expect(acknowledge(scope, [BRACKETED, PLAIN], {})).toEqual([]);
  expect(recordedOn(scope)).toEqual([]);
});

test('an aws-cdk-lib that refuses `::` inside brackets (2.251.0 to 2.268.0): the others are recorded', () => {
  const accepted: string[] = [];
  const refusing = {
    of: () => ({
      acknowledge: (rule: Acknowledgement) => {
        if (rule.id.split('::').length > 2) {
          throw Object.assign(new Error(`Invalid validation rule ID '${rule.id}'.`), { name: 'InvalidValidationId' });
        }
        accepted.push(rule.id);
      },
    }),
  };
  expect(acknowledge(construct(), [BRACKETED, PLAIN], { Validations: refusing })).toEqual([PLAIN.id]);
  expect(accepted).toEqual([PLAIN.id]);
});

test('any other error from aws-cdk-lib is not swallowed', () => {
  const broken = { of: () => ({ acknowledge: () => { throw new Error('something else'); } }) };
  expect(() => acknowledge(construct(), [PLAIN], { Validations: broken })).toThrow('something else');
});

test('a Validations without acknowledge(): nothing is recorded', () => {
  expect(acknowledge(construct(), [PLAIN], { Validations: { of: () => ({}) } })).toEqual([]);
});
