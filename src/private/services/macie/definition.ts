/** Macie (macie2) as the constructs, the provider and the handler see it (no SDK). */
import { ServiceDefinition } from '../service-definition';

/** The physical ID: the administrator's Macie of the stack's region (one per account and region). */
export const MACIE_TARGET = /^macie2:[a-z]{2}(-[a-z0-9]+)+$/;

export const MACIE: ServiceDefinition = {
  name: 'Macie',
  resourceType: 'Custom::MacieMembers',
  iamPrefix: 'macie2',
  target: {
    noun: 'administrator',
    // No prop and no ARN: the target is the stack account's Macie in its region, and the
    // member actions are granted on `*` (see docs/permissions.md).
    attribute: 'Target',
  },
  memberActions: [
    'macie2:CreateInvitations',
    'macie2:CreateMember',
    'macie2:DeleteMember',
    'macie2:DisassociateMember',
    'macie2:GetMember',
    'macie2:ListMembers',
  ],
  discoveryActions: [],
  // CreateInvitations' message: at most 80 characters.
  messageMaxLength: 80,
  // 10,000 through the organization (1,000 by invitation, which the service enforces itself).
  quota: 10_000,
  quotaUnit: 'per administrator account',
  ledgerId: () => 'default',
};
