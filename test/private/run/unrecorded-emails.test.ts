/**
 * The emails a journal keeps for members their service reads back without one (Macie's
 * organization accounts), from every place a declaration gave one, in the cheapest order; what
 * cannot be found is logged, never a failure of the run itself.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { PriorState } from '../../../src/private/restore-plan';
import { RunContext } from '../../../src/private/run/context';
import { unrecordedEmails } from '../../../src/private/run/unrecorded-emails';
import { inspector } from '../../../src/private/services/inspector/api';
import { macie } from '../../../src/private/services/macie/api';
import { Endpoint, startEndpoint } from '../../endpoint/member-endpoint';
import { recording } from '../execution/one-account-fake';
import { clientsOf } from '../fakes';

let endpoint: Endpoint;
beforeEach(async () => {
  endpoint = await startEndpoint();
});
afterEach(async () => endpoint.stop());

/** A run context with what unrecordedEmails reads: the service, the claim, the ledger's secret, Organizations. */
function context(claim: { units?: string[]; members?: [string, string][] } = {}, service = macie) {
  const log = recording();
  const organizations = new OrganizationsClient({
    region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1,
  });
  const run = {
    service,
    log,
    clients: clientsOf(organizations),
    own: { record: { declaration: { organizationalUnits: claim.units ?? [] }, declarationRecord: claim.members ? { base: 'x', generation: 'g', parts: 1 } : undefined } },
    ledger: { loadDeclaration: async () => ({ members: claim.members ?? [] }) },
  } as unknown as RunContext;
  return { run, log };
}

const prior = (ids: string[]): Map<string, PriorState> => new Map(ids.map((id) => [id, { status: 'Enabled' }]));

test('from the declaration now, the previous properties and the claim\'s static members; recorded emails and non-members need none', async () => {
  const { run, log } = context({ members: [['100000000003', 'claimed@example.com']] });
  const before = new Map<string, PriorState>([...prior(['100000000001', '100000000002', '100000000003']),
    ['100000000004', { status: 'Enabled', email: 'recorded@example.com' }], ['100000000005', undefined]]);
  const emails = await unrecordedEmails(run, before, [{ accountId: '100000000001', email: 'now@example.com' }],
    { Members: ['100000000002:before@example.com'] } as never);
  expect(Object.fromEntries(emails)).toEqual({ 100000000001: 'now@example.com', 100000000002: 'before@example.com', 100000000003: 'claimed@example.com' });
  expect(log.lines).toEqual([]);
});

test('an account the claim\'s units declared: its email from the units, or from the whole organization once it has left them', async () => {
  const org = endpoint.organizations;
  const ou = org.addOrganizationalUnit('Workloads');
  org.addAccount('200000000001', { parentId: ou, email: 'in-ou@example.com' });
  org.addAccount('200000000002', { parentId: org.rootId, email: 'left@example.com' });
  const { run } = context({ units: [ou] });
  const emails = await unrecordedEmails(run, prior(['200000000001', '200000000002']), []);
  expect(Object.fromEntries(emails)).toEqual({ 200000000001: 'in-ou@example.com', 200000000002: 'left@example.com' });
  expect(endpoint.count('ListAccounts')).toBe(1);
});

test('Organizations refusing, and an email found nowhere, are logged: the undo reports the account it cannot bring back', async () => {
  const { run, log } = context({ units: ['ou-ab12-cdef3456'] });
  const emails = await unrecordedEmails(run, prior(['200000000009']), []);
  expect(emails.size).toBe(0);
  expect(log.lines.map((l) => l.split(' {')[0])).toEqual([
    'Organizations could not be read for the emails of members recorded without one',
    'members recorded without an email and declared with none known: an undo cannot bring them back',
  ]);
});

test('a service that names members by account ID alone needs no email', async () => {
  const { run } = context({}, inspector);
  expect((await unrecordedEmails(run, prior(['100000000001']), [])).size).toBe(0);
});
