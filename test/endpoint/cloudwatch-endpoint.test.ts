/** CloudWatch PutMetricData through the real SDK client: AWS JSON 1.0 in query-compatible mode, gzip bodies. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let cw: CloudWatchClient;

beforeEach(async () => {
  endpoint = await startEndpoint();
  cw = new CloudWatchClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
});
afterEach(async () => {
  cw.destroy();
  await endpoint.stop();
});

test('metrics are recorded with their dimensions, unit, timestamp and value lists', async () => {
  const at = new Date('2026-11-21T10:00:00Z');
  await cw.send(new PutMetricDataCommand({
    Namespace: 'CdkSecurityMembers',
    MetricData: [
      { MetricName: 'SyncFailures', Dimensions: [{ Name: 'Service', Value: 'GuardDuty' }, { Name: 'Target', Value: 'det' }], Value: 1, Unit: 'Count', Timestamp: at },
      { MetricName: 'Latency', Values: [1, 2], Counts: [3, 4], Unit: 'Milliseconds' },
    ],
  }));
  expect(endpoint.cloudWatch.metrics).toEqual([
    { namespace: 'CdkSecurityMembers', name: 'SyncFailures', dimensions: { Service: 'GuardDuty', Target: 'det' }, value: 1, unit: 'Count', timestamp: at },
    { namespace: 'CdkSecurityMembers', name: 'Latency', dimensions: {}, unit: 'Milliseconds', values: [1, 2], counts: [3, 4] },
  ]);
  expect(endpoint.countFor('CloudWatch', 'PutMetricData', 'ok')).toBe(1);
});

test('a large request arrives gzip-compressed, as the client sends it', async () => {
  const encodings: unknown[] = [];
  cw.middlewareStack.add((next) => async (args) => {
    encodings.push((args.request as { headers: Record<string, string> }).headers['content-encoding']);
    return next(args);
  }, { step: 'finalizeRequest' });
  const MetricData = Array.from({ length: 300 }, (_, i) => ({ MetricName: `Metric${i}`, Dimensions: [{ Name: 'Index', Value: String(i) }], Value: i }));
  await cw.send(new PutMetricDataCommand({ Namespace: 'CdkSecurityMembers', MetricData }));
  expect(encodings).toEqual(['gzip']);
  expect(endpoint.cloudWatch.metrics).toHaveLength(300);
  expect(endpoint.cloudWatch.metrics[299]).toMatchObject({ name: 'Metric299', dimensions: { Index: '299' }, value: 299 });
});

test('errors are named by their query code, as the client asks with x-amzn-query-mode', async () => {
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'm', Value: 1 }] }))).rejects.toMatchObject({
    name: 'InvalidParameterValueException', message: 'The value AWS/EC2 for parameter Namespace is invalid.', $metadata: { httpStatusCode: 400 },
  });
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 1, Values: [1] }] }))).rejects.toMatchObject({
    name: 'InvalidParameterCombinationException',
  });
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'N', MetricData: [] }))).rejects.toMatchObject({ name: 'MissingRequiredParameterException' });
  expect(endpoint.cloudWatch.metrics).toEqual([]);
});

test('on the wire: JSON 1.0 errors carry __type and x-amzn-query-error when asked', async () => {
  const call = (headers: Record<string, string>) => fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData', ...headers },
    body: JSON.stringify({ Namespace: 'AWS/X', MetricData: [{ MetricName: 'm', Value: 1 }] }),
  });
  const compat = await call({ 'x-amzn-query-mode': 'true' });
  expect(compat.status).toBe(400);
  expect(compat.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');
  expect(await compat.json()).toEqual({ __type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', message: 'The value AWS/X for parameter Namespace is invalid.' });
  const plain = await call({});
  expect(plain.headers.get('x-amzn-query-error')).toBeNull();
});
