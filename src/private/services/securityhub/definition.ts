/** Security Hub as the constructs, the provider and the handler see it (no SDK). */
import { ServiceDefinition } from '../service-definition';

/** The hub ARN: one hub per account and region, named `default`. */
export const HUB_ARN_PATTERN = /^arn:aws[-\w]{0,10}?:securityhub:[-\w]{2,20}?:\d{12}:hub\/default$/;

export const SECURITY_HUB: ServiceDefinition = {
  name: 'SecurityHub',
  resourceType: 'Custom::SecurityHubMembers',
  iamPrefix: 'securityhub',
  target: {
    noun: 'hub',
    // No prop: the target is the stack account's and region's hub.
    attribute: 'HubArn',
    arn: { resource: 'hub', resourceName: 'default', separator: '/' },
  },
  memberActions: [
    'securityhub:CreateMembers',
    'securityhub:DeleteMembers',
    'securityhub:DescribeHub',
    'securityhub:DisassociateMembers',
    'securityhub:GetMembers',
    'securityhub:InviteMembers',
    'securityhub:ListMembers',
  ],
  // DescribeHub on the own hub finds it: nothing to discover.
  discoveryActions: [],
  // 10,000 through the organization (1,000 by invitation, which the service enforces itself).
  quota: 10_000,
  quotaUnit: 'per administrator account',
  ledgerId: (hubArn) => hubArn.split('/').pop() ?? hubArn,
};
