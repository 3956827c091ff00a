import { App } from 'aws-cdk-lib';
import { MemberAccount } from '../../src';

/**
 * The member account an integration test declares: from context (`-c memberAccountId=…
 * -c memberEmail=…`) when run against a real administrator account, else placeholders for the
 * snapshot. Use an account that is not yet a member: destroying the test stack removes it.
 */
export function memberFromContext(app: App): MemberAccount {
  return {
    accountId: app.node.tryGetContext('memberAccountId') ?? '111111111111',
    email: app.node.tryGetContext('memberEmail') ?? 'aws-integ-member@example.com',
  };
}
