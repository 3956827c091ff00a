/**
 * What the `plan` CLI tests start from: the local endpoint, the environment pointing the CLI's
 * clients at it, and the bundled handler (loaded as Lambda loads it) behind a simulated
 * CloudFormation, with the handler's console output silenced.
 */
import * as path from 'path';
import { CloudFormationSimulator, Handler } from '../../endpoint/cloudformation-driver';
import { Endpoint, startEndpoint } from '../../endpoint/member-endpoint';

const BUNDLE = path.join(__dirname, '..', '..', '..', 'assets', 'private', 'reconcile.lambda', 'index.js');

export interface PlanWorld {
  readonly endpoint: Endpoint;
  readonly cfn: CloudFormationSimulator;
}

export async function startPlanWorld(): Promise<PlanWorld> {
  const endpoint = await startEndpoint();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  let handler!: Handler;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is loaded as Lambda loads it
    handler = require(BUNDLE).handler;
  });
  const cfn = new CloudFormationSimulator(endpoint, handler, { functionName: 'Members-SecurityMembers-0123abcd' });
  for (const level of ['log', 'info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
  return { endpoint, cfn };
}
