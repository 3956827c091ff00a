/**
 * Declarations that synthesize but would not do what their author meant: a warning on the
 * construct (acknowledgeable by ID) where the library can tell, an error where two claims would
 * own the same accounts, and no verdict where the library cannot know the target.
 */
import { App, Annotations as CoreAnnotations, Aspects, CfnParameter, Duration, IAspect, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { IConstruct } from 'constructs';
import { DetectiveGraphMembers, GuardDutyMembers, SecurityHubMembers } from '../src';
import { CDK_MINOR, newStack } from './util';
import { overlappingUnits, WARNING_METRIC_WITHOUT_SYNC, WARNING_NO_MEMBERS } from '../src/private/members-resource';

const member = { accountId: '222222222222', email: 'aws-workloads@example.com' };
const OU = 'ou-a1b2-11111111';
const OTHER_OU = 'ou-a1b2-22222222';
const ROOT = 'r-a1b2';
const env = { account: '111111111111', region: 'us-east-1' };

const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => ({ path: w.id, text: String(w.entry.data) }));

describe('warnings', () => {
  test.each([
    ['GuardDutyMembers', (s: Stack) => new GuardDutyMembers(s, 'Members')],
    ['DetectiveGraphMembers', (s: Stack) => new DetectiveGraphMembers(s, 'Members', { members: [] })],
    ['SecurityHubMembers', (s: Stack) => new SecurityHubMembers(s, 'Members', {})],
  ])('%s with no members and no organizationalUnits: a warning that a deployment removes what it held', (_name, build) => {
    const stack = newStack();
    build(stack);
    expect(warningsOf(stack)).toEqual([{
      path: '/TestStack/Members',
      text: expect.stringMatching(/^declares no members and no organizationalUnits: a deployment removes every member this construct held before.*\[ack: cdk-security-members:noMembersDeclared\]$/s),
    }]);
  });

  test('no warning once addMember() declares one, with OUs only, or with a member given as a token', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Later').addMember(member);
    new DetectiveGraphMembers(stack, 'Units', { organizationalUnits: [OU] });
    new SecurityHubMembers(stack, 'Token', { members: [{ accountId: new CfnParameter(stack, 'Account').valueAsString, email: 'a@example.com' }] });
    expect(warningsOf(stack)).toEqual([]);
  });

  test('the warning can be acknowledged by its ID on the stack (and, from aws-cdk-lib 2.276.0, on the construct)', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members');
    CoreAnnotations.of(stack).acknowledgeWarning(WARNING_NO_MEMBERS, 'emptied on purpose before removing the construct');
    expect(warningsOf(stack)).toEqual([]);
    if (CDK_MINOR >= 276) {
      const other = newStack();
      CoreAnnotations.of(new GuardDutyMembers(other, 'Members')).acknowledgeWarning(WARNING_NO_MEMBERS, 'emptied on purpose');
      expect(warningsOf(other)).toEqual([]);
    }
  });

  test('metricSyncFailures() without a syncSchedule: a warning that the metric never gets data', () => {
    const stack = newStack();
    new GuardDutyMembers(stack, 'Members', { members: [member] }).metricSyncFailures();
    expect(warningsOf(stack)).toEqual([{
      path: '/TestStack/Members',
      text: expect.stringMatching(/^metricSyncFailures\(\): this construct has no syncSchedule, so the metric never gets a data point.*\[ack: cdk-security-members:metricWithoutSyncSchedule\]$/s),
    }]);
    expect(WARNING_METRIC_WITHOUT_SYNC).toBe('cdk-security-members:metricWithoutSyncSchedule');
  });

  test('metricSyncFailures() with a syncSchedule: no warning', () => {
    const stack = newStack();
    new SecurityHubMembers(stack, 'Members', { members: [member], syncSchedule: events.Schedule.rate(Duration.days(1)) }).metricSyncFailures();
    expect(warningsOf(stack)).toEqual([]);
  });

  test('the emptiness check runs once the tree is built, beside the app\'s own aspects', () => {
    const stack = newStack();
    const visited: string[] = [];
    Aspects.of(stack).add({ visit: (node: IConstruct) => visited.push(node.node.path) } as IAspect);
    const members = new GuardDutyMembers(stack, 'Members');
    members.addMember(member);
    expect(warningsOf(stack)).toEqual([]);
    expect(visited).toContain('TestStack/Members');
  });
});

describe('one OU in two constructs on one target', () => {
  test.each([
    ['the same OU', [OU], [OTHER_OU, OU], new RegExp(`organizationalUnits: ${OU} declared by both Security/A and Security/B on the same GuardDuty detector`)],
    ['the root and an OU below it', [ROOT], [OU], new RegExp(`organizationalUnits: ${ROOT} and ${OU} declared by both`)],
  ])('%s fails synth, naming both constructs', (_name, a, b, message) => {
    const app = new App();
    const stack = new Stack(app, 'Security', { env });
    new GuardDutyMembers(stack, 'A', { organizationalUnits: a });
    new GuardDutyMembers(stack, 'B', { organizationalUnits: b });
    expect(() => app.synth()).toThrow(message);
  });

  test('two stacks of the same account and region: an error; other OUs, regions or services: none', () => {
    const shared = new App();
    new DetectiveGraphMembers(new Stack(shared, 'One', { env }), 'Members', { organizationalUnits: [OU] });
    new DetectiveGraphMembers(new Stack(shared, 'Two', { env }), 'Members', { organizationalUnits: [OU] });
    expect(() => shared.synth()).toThrow(/organizationalUnits: ou-a1b2-11111111 declared by both One\/Members and Two\/Members on the same Detective behavior graph/);

    const separate = new App();
    const stack = new Stack(separate, 'Security', { env });
    new GuardDutyMembers(stack, 'A', { organizationalUnits: [OU] });
    new GuardDutyMembers(stack, 'B', { organizationalUnits: [OTHER_OU, 'r-zzzz'] });
    new SecurityHubMembers(stack, 'Hub', { organizationalUnits: [OU] });
    new GuardDutyMembers(new Stack(separate, 'West', { env: { ...env, region: 'us-west-2' } }), 'Members', { organizationalUnits: [OU] });
    expect(() => separate.synth()).not.toThrow();
  });

  test('overlappingUnits: equal IDs, a root and the OUs of that root; unknown (token) IDs are never a verdict', () => {
    expect(overlappingUnits([OU, ROOT], [OU])).toEqual([OU, `${ROOT} and ${OU}`]);
    expect(overlappingUnits(['ou-c3d4-11111111'], [ROOT])).toEqual([]);
    expect(overlappingUnits([ROOT], [ROOT])).toEqual([ROOT]);
    const stack = newStack();
    const token = new CfnParameter(stack, 'Unit').valueAsString;
    expect(overlappingUnits([token], [token])).toEqual([]);
  });
});

describe('environment-agnostic stacks', () => {
  test('two environment-agnostic stacks may deploy to different accounts or regions: no "same detector" verdict across them', () => {
    const app = new App();
    new GuardDutyMembers(new Stack(app, 'One'), 'Members', { members: [member], organizationalUnits: [OU] });
    new GuardDutyMembers(new Stack(app, 'Two'), 'Members', { members: [member], organizationalUnits: [OU] });
    new GuardDutyMembers(new Stack(app, 'Bound', { env }), 'Members', { members: [member], organizationalUnits: [OU] });
    expect(() => app.synth()).not.toThrow();
  });

  test('within one environment-agnostic stack the target is the same: a duplicate still fails', () => {
    const app = new App();
    const stack = new Stack(app, 'Agnostic');
    new GuardDutyMembers(stack, 'A', { members: [member] });
    new GuardDutyMembers(stack, 'B', { members: [member] });
    expect(() => app.synth()).toThrow(/account 222222222222 declared by both Agnostic\/A and Agnostic\/B/);
  });
});
