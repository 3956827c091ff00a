/**
 * Integration test: SecurityHubMembers on the account's hub, then GetMembers shows the declared
 * account as a member. The snapshot is checked without AWS by the test command; refresh it
 * against a real administrator account (Security Hub enabled) as docs/development.md (Maintainers)
 * describes.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { memberFromContext } from './member-context';
import { SecurityHubMembers } from '../../src';

const app = new App();
const { accountId, email } = memberFromContext(app);

const stack = new Stack(app, 'SecurityHubMembersInteg');
new SecurityHubMembers(stack, 'Members', {
  members: [{ accountId, email }],
  // An invitation to a real account would wait for a human; the member stays Created.
  invite: false,
});

const integ = new IntegTest(app, 'SecurityHubMembersTest', { testCases: [stack], diffAssets: false });
integ.assertions
  .awsApiCall('SecurityHub', 'getMembers', { AccountIds: [accountId] })
  .expect(ExpectedResult.objectLike({
    Members: Match.arrayWith([Match.objectLike({ AccountId: accountId, MemberStatus: 'Created' })]),
  }));
