/**
 * CloudWatch PutMetricData (AWS JSON 1.0, target GraniteServiceVersion20100801, query
 * compatible): the metrics a handler publishes, recorded for tests (test code, never shipped).
 */
import { awsJson, ServiceDefinition, ServiceError } from './wire';

export interface RecordedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly value?: number;
  readonly unit?: string;
  readonly timestamp?: Date;
  readonly values?: number[];
  readonly counts?: number[];
}

interface Datum {
  MetricName?: string;
  Dimensions?: { Name: string; Value: string }[];
  Value?: number;
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  Timestamp?: number;
}

const invalidValue = (message: string) => new ServiceError(400, 'InvalidParameterValueException', message);
const missing = (parameter: string) => new ServiceError(400, 'MissingRequiredParameterException', `The parameter ${parameter} is required.`);

export class CloudWatchModel {
  readonly metrics: RecordedMetric[] = [];

  put(input: Record<string, unknown>) {
    const namespace = input.Namespace;
    if (typeof namespace !== 'string') throw missing('Namespace');
    if (namespace.length < 1 || namespace.length > 255 || namespace.startsWith('AWS/')) {
      throw invalidValue(`The value ${namespace} for parameter Namespace is invalid.`);
    }
    const data = input.MetricData;
    if (!Array.isArray(data) || data.length === 0) throw missing('MetricData');
    if (data.length > 1000) throw invalidValue('The collection MetricData must not have a size greater than 1000.');
    const recorded = (data as Datum[]).map((d, i) => this.datum(namespace, d, i + 1));
    this.metrics.push(...recorded);
    return {};
  }

  private datum(namespace: string, d: Datum, index: number): RecordedMetric {
    if (typeof d.MetricName !== 'string') throw missing(`MetricData.member.${index}.MetricName`);
    if (d.Value !== undefined && d.Values !== undefined) {
      throw new ServiceError(400, 'InvalidParameterCombinationException', `The parameters MetricData.member.${index}.Value and MetricData.member.${index}.Values are mutually exclusive and you have specified both.`);
    }
    if ((d.Dimensions ?? []).length > 30) throw invalidValue(`The collection MetricData.member.${index}.Dimensions must not have a size greater than 30.`);
    return {
      namespace,
      name: d.MetricName,
      dimensions: Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value])),
      value: d.Value,
      unit: d.Unit,
      timestamp: d.Timestamp === undefined ? undefined : new Date(d.Timestamp * 1000),
      values: d.Values,
      counts: d.Counts,
    };
  }
}

const TARGET = 'GraniteServiceVersion20100801.';

export function cloudWatchService(model: CloudWatchModel): ServiceDefinition {
  return {
    name: 'CloudWatch',
    signingName: 'monitoring',
    protocol: awsJson('1.0', {
      messageKey: 'message',
      queryCompatible: {
        namespace: 'com.amazonaws.cloudwatch',
        // The Query error codes (awsQueryError) the SDK names errors by in query mode.
        codes: {
          ThrottlingException: 'Throttling',
          InvalidParameterValueException: 'InvalidParameterValue',
          MissingRequiredParameterException: 'MissingParameter',
          InvalidParameterCombinationException: 'InvalidParameterCombination',
          InternalServiceFault: 'InternalServiceError',
        },
      },
    }),
    recognizes: (_method, _path, headers) => String(headers['x-amz-target'] ?? '').startsWith(TARGET),
    throttled: () => new ServiceError(400, 'ThrottlingException', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalServiceFault', 'Internal service error'),
    unknownOperation: () => new ServiceError(400, 'UnknownOperationException', 'The operation is not modeled by this endpoint.'),
    route: ({ method, headers, input }) => {
      if (method !== 'POST' || headers['x-amz-target'] !== `${TARGET}PutMetricData`) return undefined;
      return { operation: 'PutMetricData', mutating: true, accounts: 0, run: () => model.put(input) };
    },
  };
}
