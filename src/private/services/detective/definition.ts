/** Detective as the constructs, the provider and the handler see it (no SDK). */
import { ServiceDefinition } from '../service-definition';

export const GRAPH_ARN_PATTERN = /^arn:aws[-\w]{0,10}?:detective:[-\w]{2,20}?:\d{12}?:graph:[abcdef\d]{32}?$/;

export const DETECTIVE: ServiceDefinition = {
  name: 'Detective',
  resourceType: 'Custom::DetectiveGraphMembers',
  iamPrefix: 'detective',
  target: {
    noun: 'behavior graph',
    prop: 'graphArn',
    property: 'GraphArn',
    attribute: 'GraphArn',
    // One graph per administrator and region; any of them, so the Delete that follows a
    // replacement can still clean up the old one.
    arn: { resource: 'graph', resourceName: '*', separator: ':' },
  },
  // The graph's 32 hex characters (an ARN's colons are not allowed in parameter names).
  ledgerId: (graphArn) => graphArn.split(':').pop() ?? graphArn,
  memberActions: [
    'detective:CreateMembers',
    'detective:DeleteMembers',
    'detective:GetMembers',
    'detective:ListMembers',
  ],
  discoveryActions: ['detective:ListGraphs'],
  // CreateMembers' Message: 1 to 1,000 characters.
  messageMaxLength: 1000,
  quota: 1_200,
  quotaUnit: 'per behavior graph',
  checkTarget: (graphArn, env) => {
    if (!GRAPH_ARN_PATTERN.test(graphArn)) {
      return `graphArn '${graphArn}' is not a Detective behavior graph ARN (arn:aws:detective:REGION:ACCOUNT:graph:32 hex characters)`;
    }
    // The handler may only touch graphs of the stack's own account and region.
    const [, , , region, account] = graphArn.split(':');
    if (env.region !== undefined && region !== env.region) {
      return `graphArn '${graphArn}' is in region ${region}, but this stack deploys to ${env.region}; manage a graph from a stack in its own account and region`;
    }
    if (env.account !== undefined && account !== env.account) {
      return `graphArn '${graphArn}' belongs to account ${account}, but this stack deploys to ${env.account}; manage a graph from a stack in its own account and region`;
    }
    return undefined;
  },
};
