/**
 * A second example: one account list for every service, in every region the security team
 * covers (GuardDuty, Detective and Security Hub are regional: one stack per region), with the
 * workload OUs enrolled from AWS Organizations and a daily sync with an alarm.
 * Synthesize it with `npx cdk synth --app 'npx tsx examples/multi-region/app.ts'`.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { DetectiveGraphMembers, GuardDutyMembers, MemberAccount, SecurityHubMembers } from '../../src';

/** Accounts outside the organization (a partner's, an acquisition not merged yet). */
const invited: MemberAccount[] = [
  { accountId: '222222222222', email: 'aws-partner-root@example.com' },
];
/** Every ACTIVE account below these OUs is a member, except the excluded ones. */
const organizationalUnits = ['ou-a1b2-workload1', 'ou-a1b2-platform'];
const excludeAccounts = ['333333333333']; // the log archive: enrolled by its own team

class SecurityMembersStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const sources = { members: invited, organizationalUnits, excludeAccounts, syncSchedule: events.Schedule.rate(Duration.days(1)) };
    const constructs = [
      new GuardDutyMembers(this, 'GuardDutyMembers', sources),
      new DetectiveGraphMembers(this, 'DetectiveMembers', sources),
      new SecurityHubMembers(this, 'SecurityHubMembers', sources),
    ];
    constructs.forEach((members, index) => {
      new cloudwatch.Alarm(this, `SyncFailed${index}`, {
        alarmDescription: `A scheduled sync of ${members.node.id} failed: see the handler's log group`,
        metric: members.metricSyncFailures({ period: Duration.days(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    });
  }
}

const app = new App();
// The security administrator account (the delegated administrator of all three services).
for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
  new SecurityMembersStack(app, `SecurityMembers-${region}`, {
    env: { account: '111111111111', region },
    description: `GuardDuty, Detective and Security Hub members in ${region}`,
  });
}
app.synth();
