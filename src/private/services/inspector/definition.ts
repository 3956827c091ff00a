/** Inspector (inspector2) as the constructs, the provider and the handler see it (no SDK). */
import { ServiceDefinition } from '../service-definition';

/** The scan types `Enable` turns on, as its `resourceTypes` name them. */
export const SCAN_TYPES = ['EC2', 'ECR', 'LAMBDA', 'LAMBDA_CODE', 'CODE_REPOSITORY'] as const;

/** The physical ID: the delegated administrator's Inspector of the stack's region (one per account and region). */
export const INSPECTOR_TARGET = /^inspector2:[a-z]{2}(-[a-z0-9]+)+$/;

export const INSPECTOR: ServiceDefinition = {
  name: 'Inspector',
  resourceType: 'Custom::InspectorMembers',
  iamPrefix: 'inspector2',
  target: {
    noun: 'delegated administrator',
    // No prop and no ARN: the target is the stack account's Inspector in its region, and
    // Inspector's member actions support no resource-level permissions.
    attribute: 'Target',
  },
  memberActions: [
    'inspector2:AssociateMember',
    'inspector2:DisassociateMember',
    'inspector2:GetMember',
    'inspector2:ListMembers',
  ],
  discoveryActions: [],
  // The scan types: only when a construct declares scanTypes.
  settingsActions: ['inspector2:BatchGetAccountStatus', 'inspector2:Enable'],
  quota: 10_000,
  quotaUnit: 'per delegated administrator',
  ledgerId: () => 'default',
};
