/**
 * Example app for `npx cdk synth`: one account list declared for both GuardDuty and Detective
 * in a security administrator account. No AWS account is needed to synthesize it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { DetectiveGraphMembers, GuardDutyMembers, MemberAccount } from '../src';

const app = new App();
const stack = new Stack(app, 'SecurityMembersExample', {
  description: 'GuardDuty and Detective members of the security administrator account',
});

const accounts: MemberAccount[] = [
  { accountId: '222222222222', email: 'aws-workloads@example.com' },
  { accountId: '333333333333', email: 'aws-sandbox@example.com' },
  { accountId: '444444444444', email: 'aws-data@example.com' },
];

// Detector and graph are discovered at deploy time (ListDetectors / ListGraphs).
const guardDuty = new GuardDutyMembers(stack, 'GuardDutyMembers', {
  members: accounts,
  invitationMessage: 'Please accept the GuardDuty invitation from the security account.',
});
guardDuty.addMember({ accountId: '555555555555', email: 'aws-logging@example.com' });

new DetectiveGraphMembers(stack, 'DetectiveMembers', {
  members: accounts,
  message: 'Please accept the Detective invitation from the security account.',
});

app.synth();
