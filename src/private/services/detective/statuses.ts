/** How Detective names its member states (MemberDetail.Status). */
import { DETECTIVE } from './definition';
import { MemberStatusModel } from '../../planner';

export const DETECTIVE_STATUSES: MemberStatusModel = {
  service: DETECTIVE.name,
  quota: DETECTIVE.quota,
  accepted: ['ENABLED', 'ACCEPTED_BUT_DISABLED'],
  disabled: ['ACCEPTED_BUT_DISABLED'],
  settled: ['INVITED', 'VERIFICATION_IN_PROGRESS', 'ENABLED', 'ACCEPTED_BUT_DISABLED'],
  invitable: [],
  recreatable: [],
  verificationFailed: ['VERIFICATION_FAILED'],
  unassociated: [],
  hasDisassociate: false,
  createInvites: true,
};
