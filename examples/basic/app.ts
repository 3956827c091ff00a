/**
 * Example app for `npx cdk synth`: one account list declared for GuardDuty, Detective, Security
 * Hub, Inspector and Macie in a security administrator account. No AWS account is needed to
 * synthesize it.
 */
import { App, Stack } from 'aws-cdk-lib';
import {
  DetectiveGraphMembers, GuardDutyMembers, InspectorMembers, InspectorScanType, MacieMembers, MemberAccount, SecurityHubMembers,
} from '../../src';

const app = new App();
const stack = new Stack(app, 'SecurityMembersExample', {
  description: 'GuardDuty, Detective, Security Hub, Inspector and Macie members of the security administrator account',
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

// The stack account's and region's hub (DescribeHub at deploy time).
new SecurityHubMembers(stack, 'SecurityHubMembers', { members: accounts });

// Inspector: organization accounts by ID (the stack's account is Inspector's delegated
// administrator); each association is awaited until it ends, then EC2 and ECR scanning turned on.
new InspectorMembers(stack, 'InspectorMembers', {
  accountIds: accounts.map((a) => a.accountId),
  scanTypes: [InspectorScanType.EC2, InspectorScanType.ECR],
});

// Macie: organization accounts are enabled at once, the others invited.
new MacieMembers(stack, 'MacieMembers', {
  members: accounts,
  invitationMessage: 'Please accept the Macie invitation.',
});

app.synth();
