/** How Inspector names its member states (relationshipStatus). */
import { INSPECTOR } from './definition';
import { MemberStatusModel } from '../../planner';

export const INSPECTOR_STATUSES: MemberStatusModel = {
  service: INSPECTOR.name,
  quota: INSPECTOR.quota,
  quotaNote: 'Inspector allows a delegated administrator 10,000 associated members',
  accepted: ['ENABLED', 'DISABLED'],
  disabled: ['DISABLED'],
  settled: ['ENABLED', 'DISABLED'],
  // Organization accounts only: Inspector invites nobody.
  invitable: [],
  // A disassociated account is no member (reader.ts leaves those records out): AssociateMember brings it back.
  recreatable: ['REMOVED', 'RESIGNED', 'DELETED'],
  verificationFailed: [],
  unassociated: ['REMOVED', 'RESIGNED', 'DELETED'],
  hasDisassociate: true,
  // Disassociating is removing: Inspector has no DeleteMember.
  hasDelete: false,
  createInvites: false,
  keepsDisassociated: true,
  emailless: true,
  // AssociateMember succeeds at once and the association runs on: these states are still under way.
  inProgress: ['CREATED', 'INVITED', 'EMAIL_VERIFICATION_IN_PROGRESS'],
  failedStates: {
    REGION_DISABLED: 'the region is not enabled in the member account; enable it there, or leave the account out',
    ACCOUNT_SUSPENDED: 'the member account is suspended',
    CANNOT_CREATE_DETECTOR_IN_ORG_MASTER: 'the account is the organization\'s management account, which Inspector does not associate as a member',
    EMAIL_VERIFICATION_FAILED: 'Inspector could not verify the account',
  },
  operations: {
    CreateMembers: 'AssociateMember',
    DisassociateMembers: 'DisassociateMember',
    GetMembers: 'GetMember',
  },
};
