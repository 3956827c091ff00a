/** How Security Hub names its member states (MemberStatus, compared case-insensitively: see api.ts). */
import { SECURITY_HUB } from './definition';
import { MemberStatusModel } from '../../planner';

export const SECURITY_HUB_STATUSES: MemberStatusModel = {
  service: SECURITY_HUB.name,
  quota: SECURITY_HUB.quota,
  // A suspended account had accepted: recreating it would make it accept again.
  accepted: ['Enabled', 'AccountSuspended'],
  disabled: ['AccountSuspended'],
  settled: ['Invited', 'Enabled', 'AccountSuspended'],
  invitable: ['Created', 'Resigned'],
  // Disassociated (Removed) or deleted by the member (Deleted): CreateMembers brings organization accounts back.
  recreatable: ['Removed', 'Deleted'],
  // Security Hub does not verify the email of an invitation.
  verificationFailed: [],
  unassociated: ['Created', 'Removed', 'Resigned', 'Deleted'],
  hasDisassociate: true,
  createInvites: false,
  // DeleteMembers only deletes invited accounts: a disassociated organization account stays Removed.
  keepsDisassociated: true,
};

/** The documented spelling of a status as the service returned it (`ENABLED`, `AccountSuspended`, `ACCOUNT_SUSPENDED`). */
export function canonicalStatus(status: string | undefined): string {
  const key = (status ?? '').replace(/_/g, '').toLowerCase();
  const all = new Set([...SECURITY_HUB_STATUSES.settled, ...SECURITY_HUB_STATUSES.unassociated]);
  return [...all].find((known) => known.toLowerCase() === key) ?? status ?? '';
}
