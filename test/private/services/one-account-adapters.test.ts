/**
 * Inspector's and Macie's SDK adapters on the answers the SDK's types allow but the local
 * endpoint never gives: missing lists and fields, a GetMember without a member, errors that are
 * not "no member", and an Enable with nothing to turn on (no call).
 */
import {
  BatchGetAccountStatusCommand, EnableCommand, GetMemberCommand, Inspector2Client, ListMembersCommand,
} from '@aws-sdk/client-inspector2';
import {
  CreateInvitationsCommand, GetMemberCommand as MacieGetMember, ListMembersCommand as MacieListMembers, Macie2Client,
} from '@aws-sdk/client-macie2';
import { mockClient } from 'aws-sdk-client-mock';
import { inspector } from '../../../src/private/services/inspector/api';
import { macie } from '../../../src/private/services/macie/api';
import { clientsOf, serviceError } from '../fakes';

describe('Inspector', () => {
  const client = new Inspector2Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  const api = () => inspector.memberApi(clientsOf(client), 'inspector2:us-east-1', {});
  afterEach(() => mock.reset());

  test('ListMembers: a page without members, a member without a status, removed records left out', async () => {
    mock.on(ListMembersCommand)
      .resolvesOnce({ nextToken: 'next' })
      .resolvesOnce({ members: [{ accountId: '100000000001' }, { accountId: '100000000002', relationshipStatus: 'REMOVED' }] });
    expect(await api().listMembers()).toEqual([{ accountId: '100000000001', status: '' }]);
    expect(mock.commandCalls(ListMembersCommand)[0].args[0].input).toMatchObject({ onlyAssociated: false, maxResults: 50 });
  });

  test('GetMember: no member in the answer, not found and "no access to get member account" are no member; another error is the read\'s', async () => {
    mock.on(GetMemberCommand, { accountId: '100000000001' }).resolves({})
      .on(GetMemberCommand, { accountId: '100000000002' }).rejects(serviceError('ResourceNotFoundException'))
      .on(GetMemberCommand, { accountId: '100000000003' }).rejects(serviceError('AccessDeniedException', 'Invoking account does not have access to get member account'))
      .on(GetMemberCommand, { accountId: '100000000004' }).resolves({ member: { accountId: '100000000004', relationshipStatus: 'DISASSOCIATED' as never } });
    expect(await api().getMembers(['100000000001', '100000000002', '100000000003', '100000000004']))
      .toEqual([{ accountId: '100000000004', status: 'DISASSOCIATED' }]);
    mock.on(GetMemberCommand).rejects(serviceError('InternalServerException', 'try later'));
    await expect(api().getMembers(['100000000005'])).rejects.toThrow('try later');

    // Any other denial (an SCP, a missing grant) is an error, never taken for absence.
    mock.on(GetMemberCommand).rejects(serviceError('AccessDeniedException', 'explicit deny in a service control policy'));
    await expect(api().getMembers(['100000000006'])).rejects.toThrow('explicit deny');
  });

  test('BatchGetAccountStatus and Enable: missing lists are empty, a failed account without an ID is named empty; nothing to enable, no call', async () => {
    mock.on(BatchGetAccountStatusCommand).resolves({}).on(EnableCommand).resolves({ failedAccounts: [{ errorCode: 'ACCESS_DENIED', errorMessage: 'no', status: 'DISABLED' } as never] });
    const settings = api().settings!;
    expect(await settings.read(['100000000001'])).toEqual({ settings: new Map(), unprocessed: [] });
    expect(await settings.write(['100000000001'], { EC2: 'ENABLED' }, {})).toEqual([{ accountId: '', reason: 'ACCESS_DENIED: no' }]);
    expect(await settings.write(['100000000001'], { EC2: 'DISABLED' }, {})).toEqual([]);
    expect(mock.commandCalls(EnableCommand)).toHaveLength(1);
    mock.on(BatchGetAccountStatusCommand).resolves({ accounts: [{ accountId: '100000000001', resourceState: undefined as never, state: undefined as never }] });
    expect((await settings.read(['100000000001'])).settings).toEqual(new Map([['100000000001', {}]]));
  });
});

describe('Macie', () => {
  const client = new Macie2Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  const api = () => macie.memberApi(clientsOf(client), 'macie2:us-east-1', { message: 'Join', disableEmailNotification: true });
  afterEach(() => mock.reset());

  test('ListMembers: every member (onlyAssociated \'false\'), a null email is none, a missing status empty', async () => {
    mock.on(MacieListMembers).resolvesOnce({ nextToken: 'next' }).resolvesOnce({ members: [{ accountId: '100000000001', email: null as never }] });
    expect(await api().listMembers()).toEqual([{ accountId: '100000000001', email: undefined, status: '' }]);
    expect(mock.commandCalls(MacieListMembers)[0].args[0].input).toMatchObject({ onlyAssociated: 'false', maxResults: 50 });
  });

  test('GetMember: not found is no member; another error is the read\'s', async () => {
    mock.on(MacieGetMember, { id: '100000000001' }).rejects(serviceError('ResourceNotFoundException'))
      .on(MacieGetMember, { id: '100000000002' }).resolves({ email: 'a@example.com', relationshipStatus: 'Invited' });
    expect(await api().getMembers(['100000000001', '100000000002'])).toEqual([{ accountId: '100000000002', email: 'a@example.com', status: 'Invited' }]);
    mock.on(MacieGetMember).rejects(serviceError('AccessDeniedException', 'denied'));
    await expect(api().getMembers(['100000000003'])).rejects.toThrow('denied');
  });

  test('CreateInvitations: the invitation settings, and unprocessed accounts with their error code and message', async () => {
    mock.on(CreateInvitationsCommand).resolvesOnce({}).resolvesOnce({ unprocessedAccounts: [{ errorCode: 'ClientError', errorMessage: 'no' }] });
    expect(await api().inviteMembers(['100000000001'])).toEqual([]);
    expect(mock.commandCalls(CreateInvitationsCommand)[0].args[0].input).toEqual({ accountIds: ['100000000001'], message: 'Join', disableEmailNotification: true });
    expect(await api().inviteMembers(['100000000001'])).toEqual([{ accountId: '', reason: 'ClientError: no' }]);
  });
});
