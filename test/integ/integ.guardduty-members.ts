/**
 * Integration test: GuardDutyMembers on the account's detector, then GetMembers shows each
 * declared account as a member. The snapshot is checked without AWS by the test command;
 * refresh it against a real administrator account as docs/development.md (Maintainers) describes.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { memberFromContext } from './member-context';
import { GuardDutyMembers } from '../../src';

const app = new App();
const { accountId, email } = memberFromContext(app);

const stack = new Stack(app, 'GuardDutyMembersInteg');
const members = new GuardDutyMembers(stack, 'Members', {
  members: [{ accountId, email }],
  // An invitation email to a real account would wait for a human; the member stays Created.
  invite: false,
});

const integ = new IntegTest(app, 'GuardDutyMembersTest', { testCases: [stack], diffAssets: false });
integ.assertions
  .awsApiCall('GuardDuty', 'getMembers', { DetectorId: members.detectorId, AccountIds: [accountId] })
  .expect(ExpectedResult.objectLike({
    Members: Match.arrayWith([Match.objectLike({ AccountId: accountId, RelationshipStatus: 'Created' })]),
    UnprocessedAccounts: [],
  }));
