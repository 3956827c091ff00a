/**
 * cdk-nag 3 acknowledgements (`Validations.of(scope).acknowledge()`), recorded only where the
 * installed aws-cdk-lib accepts them. aws-cdk-lib has `Validations` from 2.251.0 on; until
 * 2.268.0 it refuses (InvalidValidationId, at the call) an ID with `::` inside brackets, such as
 * cdk-nag's `AwsSolutions::AwsSolutions-IAM5[Resource::...]`; from 2.269.0 it takes them all.
 * Where one is refused or `Validations` is missing, the library records nothing for it and the
 * stack synthesizes as before: cdk-nag 3 itself needs aws-cdk-lib 2.257.0 or newer.
 */
import * as cdk from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A finding to acknowledge: cdk-nag's full finding ID and why it cannot be avoided. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

interface ValidationsApi {
  of(scope: IConstruct): { acknowledge?: (...rules: Acknowledgement[]) => void };
}

/** `Validations` of the installed aws-cdk-lib, when it has one. */
export function installedValidations(library: object = cdk): ValidationsApi | undefined {
  const validations = (library as { Validations?: ValidationsApi }).Validations;
  return typeof validations?.of === 'function' ? validations : undefined;
}

/**
 * Acknowledges each rule on `scope` that the installed aws-cdk-lib (`library`) accepts; answers
 * the IDs it recorded. A refused ID (InvalidValidationId) is skipped; any other error is thrown.
 */
export function acknowledge(scope: IConstruct, rules: readonly Acknowledgement[], library: object = cdk): string[] {
  const validations = installedValidations(library);
  const recorded: string[] = [];
  for (const rule of rules) {
    const api = validations?.of(scope);
    if (typeof api?.acknowledge !== 'function') {
      return recorded;
    }
    try {
      api.acknowledge(rule);
      recorded.push(rule.id);
    } catch (err) {
      if ((err as Error).name !== 'InvalidValidationId') {
        throw err;
      }
    }
  }
  return recorded;
}
