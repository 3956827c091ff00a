/**
 * Integration test: DetectiveGraphMembers on the account's behavior graph, then GetMembers
 * shows each declared account as a member. The snapshot is checked without AWS by the test
 * command; refresh it against a real administrator account as described in the README.
 *
 * Context (`-c name=value`): `memberAccountId`, `memberEmail` (an account that is not yet a
 * member of the graph; Detective invites it, and the stack's deletion removes it again).
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { DetectiveGraphMembers } from '../../src';

const app = new App();
const accountId: string = app.node.tryGetContext('memberAccountId') ?? '111111111111';
const email: string = app.node.tryGetContext('memberEmail') ?? 'aws-integ-member@example.com';

const stack = new Stack(app, 'DetectiveGraphMembersInteg');
const members = new DetectiveGraphMembers(stack, 'Members', {
  members: [{ accountId, email }],
  message: 'cdk-security-members integration test',
  disableEmailNotification: true,
});

const integ = new IntegTest(app, 'DetectiveGraphMembersTest', { testCases: [stack], diffAssets: false });
integ.assertions
  .awsApiCall('Detective', 'getMembers', { GraphArn: members.graphArn, AccountIds: [accountId] })
  .expect(ExpectedResult.objectLike({
    MemberDetails: Match.arrayWith([Match.objectLike({ AccountId: accountId })]),
  }));
