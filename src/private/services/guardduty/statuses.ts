/** How GuardDuty names its member states (relationshipStatus). */
import { GUARDDUTY } from './definition';
import { MemberStatusModel } from '../../planner';

export const GUARDDUTY_STATUSES: MemberStatusModel = {
  service: GUARDDUTY.name,
  quota: GUARDDUTY.quota,
  accepted: ['Enabled', 'Disabled'],
  disabled: ['Disabled'],
  settled: ['Invited', 'Enabled', 'Disabled', 'EmailVerificationInProgress'],
  invitable: ['Created', 'Resigned'],
  recreatable: ['Removed'],
  verificationFailed: ['EmailVerificationFailed'],
  unassociated: ['Created', 'Removed', 'Resigned', 'EmailVerificationFailed'],
  hasDisassociate: true,
  createInvites: false,
};
