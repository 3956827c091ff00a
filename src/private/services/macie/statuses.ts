/** How Macie names its member states (relationshipStatus). */
import { MACIE } from './definition';
import { MemberStatusModel } from '../../planner';

export const MACIE_STATUSES: MemberStatusModel = {
  service: MACIE.name,
  quota: MACIE.quota,
  quotaNote: 'Macie allows an administrator 10,000 members through AWS Organizations, 1,000 of them by invitation',
  accepted: ['Enabled', 'Paused'],
  // Macie is suspended in the member account: it accepted, but does not contribute.
  disabled: ['Paused'],
  settled: ['Invited', 'Enabled', 'Paused', 'EmailVerificationInProgress'],
  invitable: ['Created', 'Resigned'],
  // Disassociated by the administrator: CreateMember brings it back (organization accounts
  // Enabled at once, others Created and invited).
  recreatable: ['Removed'],
  verificationFailed: ['EmailVerificationFailed'],
  unassociated: ['Created', 'Removed', 'Resigned', 'EmailVerificationFailed'],
  hasDisassociate: true,
  createInvites: false,
  failedStates: {
    RegionDisabled: 'the region is not enabled in the member account; enable it there, or leave the account out',
    AccountSuspended: 'the member account is suspended',
  },
  operations: {
    CreateMembers: 'CreateMember',
    InviteMembers: 'CreateInvitations',
    DisassociateMembers: 'DisassociateMember',
    DeleteMembers: 'DeleteMember',
    GetMembers: 'GetMember',
  },
};
