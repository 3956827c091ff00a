/**
 * Integration test: DetectiveGraphMembers on the account's behavior graph, then GetMembers
 * shows each declared account as a member. The snapshot is checked without AWS by the test
 * command; refresh it against a real administrator account as docs/development.md (Maintainers) describes.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { memberFromContext } from './member-context';
import { DetectiveGraphMembers } from '../../src';

const app = new App();
const { accountId, email } = memberFromContext(app);

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
