/**
 * AWS STS GetCallerIdentity (AWS Query, version 2011-06-15): who the caller is, as `plan` asks
 * before reading (test code, never shipped).
 */
import { ADMINISTRATOR_ACCOUNT, awsQuery, ServiceDefinition, ServiceError } from './wire';

const VERSION = '2011-06-15';

export class StsModel {
  /** The account the credentials belong to. */
  account = ADMINISTRATOR_ACCOUNT;
}

export function stsService(model: StsModel): ServiceDefinition {
  return {
    name: 'STS',
    signingName: 'sts',
    protocol: awsQuery(`https://sts.amazonaws.com/doc/${VERSION}/`),
    recognizes: (method, _path, headers, body) =>
      method === 'POST' && String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      && /(^|&)Action=GetCallerIdentity(&|$)/.test(body.toString('utf8')),
    throttled: () => new ServiceError(400, 'Throttling', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalFailure', 'An internal error occurred.'),
    unknownOperation: () => new ServiceError(400, 'InvalidAction', `Could not find operation for version ${VERSION}.`),
    route: ({ method, input }) => {
      if (method !== 'POST' || input.Action !== 'GetCallerIdentity' || input.Version !== VERSION) return undefined;
      return {
        operation: 'GetCallerIdentity',
        mutating: false,
        accounts: 0,
        run: () => ({
          UserId: 'AROAEXAMPLEEXAMPLE:plan',
          Account: model.account,
          Arn: `arn:aws:sts::${model.account}:assumed-role/SecurityAudit/plan`,
        }),
      };
    },
  };
}
