import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Members have no snapshot; every other policy maps onto the custom resource as in aws-cdk-lib. */
export function checkRemovalPolicy(scope: Construct, policy: RemovalPolicy | undefined): RemovalPolicy {
  const resolved = policy ?? RemovalPolicy.DESTROY;
  if (resolved === RemovalPolicy.SNAPSHOT) {
    throw new Error(`${scope.node.path}: removalPolicy '${resolved}' is not supported for members; use DESTROY or RETAIN`);
  }
  return resolved;
}
