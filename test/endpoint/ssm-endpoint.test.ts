/** SSM Parameter Store through the real SDK client: AWS JSON 1.1, its naming, tier and paging rules. */
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  paginateGetParametersByPath,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { Endpoint, startEndpoint } from './member-endpoint';

let endpoint: Endpoint;
let ssm: SSMClient;

beforeEach(async () => {
  endpoint = await startEndpoint();
  ssm = new SSMClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
});
afterEach(async () => {
  ssm.destroy();
  await endpoint.stop();
});

const put = (Name: string, Value: string, extra: object = {}) => ssm.send(new PutParameterCommand({ Name, Value, Type: 'String', ...extra }));

test('PutParameter and GetParameter: versions, overwrite, model state', async () => {
  expect(await put('/app/claim', 'one')).toMatchObject({ Version: 1, Tier: 'Standard' });
  await expect(put('/app/claim', 'two')).rejects.toMatchObject({
    name: 'ParameterAlreadyExists', message: expect.stringMatching(/set the overwrite option/), $metadata: { httpStatusCode: 400 },
  });
  expect(await ssm.send(new PutParameterCommand({ Name: '/app/claim', Value: 'two', Overwrite: true }))).toMatchObject({ Version: 2 });

  const got = await ssm.send(new GetParameterCommand({ Name: '/app/claim' }));
  expect(got.Parameter).toMatchObject({ Name: '/app/claim', Type: 'String', Value: 'two', Version: 2, DataType: 'text', ARN: 'arn:aws:ssm:us-east-1:999999999999:parameter/app/claim' });
  expect(got.Parameter!.LastModifiedDate).toBeInstanceOf(Date);
  expect(endpoint.ssm.parameters.get('/app/claim')).toMatchObject({ name: '/app/claim', type: 'String', tier: 'Standard', value: 'two', version: 2 });
  expect(endpoint.ssm.parameters.get('/app/claim')!.lastModified).toBeInstanceOf(Date);

  await expect(ssm.send(new GetParameterCommand({ Name: '/app/none' }))).rejects.toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
  await expect(ssm.send(new PutParameterCommand({ Name: '/app/untyped', Value: 'x' }))).rejects.toMatchObject({ name: 'ValidationException', message: 'A parameter type is required when you create a parameter.' });
  await expect(ssm.send(new PutParameterCommand({ Name: '/app/claim', Value: 'x', Type: 'SecureString', Overwrite: true }))).rejects.toMatchObject({ name: 'HierarchyTypeMismatchException' });
  await expect(put('/app/claim', 'x', { Overwrite: true, Tags: [{ Key: 'k', Value: 'v' }] })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/tags and overwrite/) });
});

test('SecureString values are opaque unless WithDecryption is true', async () => {
  await ssm.send(new PutParameterCommand({ Name: '/app/emails', Value: 'a@example.com', Type: 'SecureString' }));
  const opaque = (await ssm.send(new GetParameterCommand({ Name: '/app/emails' }))).Parameter!;
  expect(opaque.Type).toBe('SecureString');
  expect(opaque.Value).not.toContain('example.com');
  expect(opaque.Value).toMatch(/^AQICAH/);
  expect((await ssm.send(new GetParameterCommand({ Name: '/app/emails', WithDecryption: true }))).Parameter!.Value).toBe('a@example.com');
  const listed = await ssm.send(new GetParametersByPathCommand({ Path: '/app' }));
  expect(listed.Parameters![0].Value).toBe(opaque.Value);
  const many = await ssm.send(new GetParametersCommand({ Names: ['/app/emails'], WithDecryption: true }));
  expect(many.Parameters![0].Value).toBe('a@example.com');
  // The model holds the plain value.
  expect(endpoint.ssm.parameters.get('/app/emails')!.value).toBe('a@example.com');
});

test('names: characters, reserved prefixes, fully qualified paths, 1,011 characters and 15 levels', async () => {
  const invalid = { name: 'ValidationException', $metadata: { httpStatusCode: 400 } };
  await expect(put('/app/bad name', 'x')).rejects.toMatchObject({ ...invalid, message: expect.stringMatching(/can't be prefixed with "aws" or "ssm"/) });
  await expect(put('/aws/thing', 'x')).rejects.toMatchObject(invalid);
  await expect(put('/SSM-thing/x', 'x')).rejects.toMatchObject(invalid);
  await expect(put('app/claim', 'x')).rejects.toMatchObject({ ...invalid, message: expect.stringMatching(/fully qualified/) });
  await expect(put(`/${'a'.repeat(1011)}`, 'x')).rejects.toMatchObject(invalid);
  await expect(put(`/${'a'.repeat(1010)}`, 'x')).resolves.toMatchObject({ Version: 1 });
  const levels = (n: number) => Array.from({ length: n }, (_, i) => `/l${i}`).join('');
  await expect(put(levels(16), 'x')).rejects.toMatchObject({ name: 'HierarchyLevelLimitExceededException', $metadata: { httpStatusCode: 400 } });
  await expect(put(levels(15), 'x')).resolves.toMatchObject({ Version: 1 });
  await expect(put('plain_name.v-1', 'x')).resolves.toMatchObject({ Version: 1 });
  await expect(put('/app/x', 'x', { Type: 'Number' })).rejects.toMatchObject(invalid);
});

test('tiers: standard holds 4,096 characters, advanced 8,192; no downgrade', async () => {
  await expect(put('/app/big', 'x'.repeat(4096))).resolves.toMatchObject({ Tier: 'Standard' });
  await expect(put('/app/bigger', 'x'.repeat(4097))).rejects.toMatchObject({
    name: 'ValidationException', message: expect.stringMatching(/^Standard tier parameters support a maximum parameter value of 4096 characters/),
  });
  await expect(put('/app/bigger', 'x'.repeat(8192), { Tier: 'Advanced' })).resolves.toMatchObject({ Tier: 'Advanced' });
  await expect(put('/app/biggest', 'x'.repeat(8193), { Tier: 'Advanced' })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/8192/) });
  await expect(put('/app/bigger', 'small', { Overwrite: true, Tier: 'Standard' })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/can't downgrade/) });
  // Without a tier an overwrite keeps the parameter's tier.
  await expect(put('/app/bigger', 'small', { Overwrite: true })).resolves.toMatchObject({ Tier: 'Advanced', Version: 2 });
  await expect(put('/app/auto', 'x'.repeat(5000), { Tier: 'Intelligent-Tiering' })).resolves.toMatchObject({ Tier: 'Advanced' });
  expect(endpoint.ssm.parameters.get('/app/auto')!.tier).toBe('Advanced');
});

test('GetParametersByPath: direct children unless recursive, pages of 1 to 10 followed by the paginator', async () => {
  for (let i = 0; i < 23; i++) await put(`/claims/guardduty/p${String(i).padStart(2, '0')}`, `v${i}`);
  await put('/claims/guardduty/deeper/q', 'q');
  await put('/claims/detective/r', 'r');
  await put('/claimsother', 'no');

  const direct = await ssm.send(new GetParametersByPathCommand({ Path: '/claims/guardduty' }));
  expect(direct.Parameters).toHaveLength(10);
  expect(direct.NextToken).toBeDefined();
  const names = [];
  for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: '/claims/guardduty/' })) names.push(...page.Parameters!.map((p) => p.Name));
  expect(names).toHaveLength(23);
  expect(names).not.toContain('/claims/guardduty/deeper/q');

  const recursive = [];
  for await (const page of paginateGetParametersByPath({ client: ssm, pageSize: 4 }, { Path: '/claims', Recursive: true })) recursive.push(...page.Parameters!);
  expect(recursive).toHaveLength(25);
  expect((await ssm.send(new GetParametersByPathCommand({ Path: '/claims' }))).Parameters).toEqual([]);

  await expect(ssm.send(new GetParametersByPathCommand({ Path: '/claims', MaxResults: 11 }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(ssm.send(new GetParametersByPathCommand({ Path: 'claims' }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(ssm.send(new GetParametersByPathCommand({ Path: '/claims', NextToken: 'bogus' }))).rejects.toMatchObject({ name: 'InvalidNextToken' });
});

test('GetParameters and DeleteParameters take 1 to 10 names; DeleteParameter of a missing name is ParameterNotFound', async () => {
  await put('/p/a', 'a');
  await put('/p/b', 'b');
  const got = await ssm.send(new GetParametersCommand({ Names: ['/p/a', '/p/missing', '/p/b'] }));
  expect(got.Parameters!.map((p) => p.Name)).toEqual(['/p/a', '/p/b']);
  expect(got.InvalidParameters).toEqual(['/p/missing']);
  const eleven = Array.from({ length: 11 }, (_, i) => `/p/${i}`);
  await expect(ssm.send(new GetParametersCommand({ Names: eleven }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/less than or equal to 10/) });
  await expect(ssm.send(new DeleteParametersCommand({ Names: eleven }))).rejects.toMatchObject({ name: 'ValidationException' });

  const deleted = await ssm.send(new DeleteParametersCommand({ Names: ['/p/a', '/p/missing'] }));
  expect(deleted).toMatchObject({ DeletedParameters: ['/p/a'], InvalidParameters: ['/p/missing'] });
  await ssm.send(new DeleteParameterCommand({ Name: '/p/b' }));
  expect(endpoint.ssm.parameters.size).toBe(0);
  await expect(ssm.send(new DeleteParameterCommand({ Name: '/p/b' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  expect(endpoint.countFor('SSM', 'DeleteParameter', 'ParameterNotFound')).toBe(1);
});

test('GetParametersByPath filters by Type, so a reader can skip SecureString parameters', async () => {
  await put('/app/a/claim', 'ids');
  await put('/app/a/emails', 'secret', { Type: 'SecureString' });
  await put('/app/b/claim', 'ids');
  const strings = await ssm.send(new GetParametersByPathCommand({
    Path: '/app', Recursive: true, ParameterFilters: [{ Key: 'Type', Option: 'Equals', Values: ['String'] }],
  }));
  expect(strings.Parameters!.map((p) => p.Name).sort()).toEqual(['/app/a/claim', '/app/b/claim']);
  await expect(ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [{ Key: 'Type', Values: ['Text'] }] })))
    .rejects.toMatchObject({ name: 'ValidationException' });
});
