import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { validationError } from './errors';

/**
 * What deleting the resource does to its members, as the handler's `RemovalPolicy` property.
 * The custom resource itself is always deleted (so its claim in the ledger goes too); `RETAIN`
 * keeps the members. `RETAIN_ON_UPDATE_OR_DELETE` is `RETAIN` here: a failed create is undone
 * by the handler whatever the policy. Members have no snapshot.
 */
export function removalPolicyProperty(scope: Construct, policy: RemovalPolicy | undefined): 'DESTROY' | 'RETAIN' {
  switch (policy ?? RemovalPolicy.DESTROY) {
    case RemovalPolicy.DESTROY:
      return 'DESTROY';
    case RemovalPolicy.RETAIN:
    case RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE:
      return 'RETAIN';
    default:
      throw validationError(scope, 'UnsupportedRemovalPolicy', `removalPolicy '${String(policy)}' is not supported for members; use DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE`);
  }
}
