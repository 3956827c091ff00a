/** GuardDuty as the constructs, the provider and the handler see it (no SDK). */
import { ServiceDefinition } from '../service-definition';

export const DETECTOR_ID_MAX_LENGTH = 300;

export const GUARDDUTY: ServiceDefinition = {
  name: 'GuardDuty',
  resourceType: 'Custom::GuardDutyMembers',
  iamPrefix: 'guardduty',
  target: {
    noun: 'detector',
    prop: 'detectorId',
    property: 'DetectorId',
    attribute: 'DetectorId',
    // There is one detector per account and region; any of them, so the Delete that follows a
    // replacement can still clean up the old one.
    arn: { resource: 'detector', resourceName: '*', separator: '/' },
  },
  ledgerId: (detectorId) => detectorId,
  memberActions: [
    'guardduty:CreateMembers',
    'guardduty:DeleteMembers',
    // Tells whether the administrator is the organization's delegated administrator (no read-back of organization accounts).
    'guardduty:DescribeOrganizationConfiguration',
    'guardduty:DisassociateMembers',
    // Tells a deleted detector from other refusals on Delete.
    'guardduty:GetDetector',
    'guardduty:GetMembers',
    'guardduty:InviteMembers',
    'guardduty:ListMembers',
  ],
  discoveryActions: ['guardduty:ListDetectors'],
  settingsActions: ['guardduty:GetMemberDetectors', 'guardduty:UpdateMemberDetectors'],
  // GuardDuty documents no limit for InviteMembers' message; 1,000 characters, as Detective
  // documents for the same invitation email, keeps a runaway value (a whole file read into the
  // prop) out of every member's inbox.
  messageMaxLength: 1000,
  quota: 50_000,
  quotaUnit: 'per administrator account',
  checkTarget: (detectorId) => {
    if (detectorId.length < 1 || detectorId.length > DETECTOR_ID_MAX_LENGTH || /\s|\//.test(detectorId)) {
      return `detectorId '${detectorId}' is not a GuardDuty detector ID (1 to ${DETECTOR_ID_MAX_LENGTH} characters, no spaces or slashes)`;
    }
    return undefined;
  },
};
