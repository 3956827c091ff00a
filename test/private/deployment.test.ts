/**
 * What CloudFormation and the Provider framework do around a run, beyond one clean event:
 * cancellations, made-up physical IDs, duplicate executions, writes that fail, rollbacks that
 * cannot finish, and runs past their time budget. Each test fails if membership ends wrong.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import * as detective from '@aws-sdk/client-detective';
import * as guardduty from '@aws-sdk/client-guardduty';
import { SSMClient } from '@aws-sdk/client-ssm';
import { accountIds, cfnEvent, clientsOf, encoded, FakeGuardDuty, lambdaContext, serviceError, testClients } from './fakes';
import { handleEvent, route, TIME_RESERVE_MS } from '../../src/private/reconcile.lambda';
import { RUN_BUDGET_MS, UNDO_BUDGET_MS } from '../../src/private/run/budgets';
import { ContinuedEvent, StartResult } from '../../src/private/run/event';
import { Endpoint, startEndpoint } from '../endpoint/member-endpoint';

const DETECTOR = 'd0123456789abcdef0123456789abcdef';
const LOCK = `/cdk-security-members/guardduty/${DETECTOR}/lock`;

let gd: FakeGuardDuty;
let endpoint: Endpoint;
let stackId: string;

beforeEach(async () => {
  gd = new FakeGuardDuty();
  endpoint = await startEndpoint();
  stackId = endpoint.cloudFormation.createStack('Security', 'CREATE_IN_PROGRESS');
  for (const level of ['info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
});

afterEach(async () => {
  gd.mock.restore();
  jest.restoreAllMocks();
  await endpoint.stop();
});

const props = (ids: string[], extra: Record<string, unknown> = {}) => ({ Service: 'GuardDuty', DetectorId: DETECTOR, Members: encoded(ids), Schema: '2', ...extra });
const run = (event: ReturnType<typeof cfnEvent>) => handleEvent(event, lambdaContext, testClients(endpoint));
const onEvent = (event: ReturnType<typeof cfnEvent>) => route(event, lambdaContext, testClients(endpoint)) as Promise<StartResult>;
const isComplete = (event: ReturnType<typeof cfnEvent>, started: StartResult, context = lambdaContext) =>
  route({ ...event, ...started } as ContinuedEvent, context, testClients(endpoint));
const claims = () => [...endpoint.ssm.parameters.keys()].filter((name) => name.includes('/claim/'));
const mutations = () => gd.calls.filter((c) => ['CreateMembers', 'InviteMembers', 'DisassociateMembers', 'DeleteMembers'].includes(c.operation));

describe('cancelled by CloudFormation (another resource failed)', () => {
  test('a Create\'s onEvent reads no stack (CloudFormation sends Create only going forward); a create whose stack rolls back before it starts changes nothing', async () => {
    const create = cfnEvent('Create', props(accountIds(2)), { stackId });
    const started = await onEvent(create);
    expect(started.CdkSecurityMembers).toMatchObject({ replacement: false });
    expect(started.CdkSecurityMembers.rollback).toBeUndefined();
    expect(endpoint.calls.filter((c) => c.operation === 'DescribeStacks')).toEqual([]);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await expect(isComplete(create, started)).rejects.toThrow(/no longer waits for this creation.*nothing was changed/);
    expect(gd.state()).toEqual({});
    expect(mutations()).toEqual([]);
    // An Update's onEvent reads the stack: its rollback flag is told there.
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    const update = cfnEvent('Update', props(accountIds(1)), { old: props(accountIds(2)), physicalId: DETECTOR, stackId });
    expect((await onEvent(update)).CdkSecurityMembers).toMatchObject({ rollback: true });
    expect(endpoint.calls.filter((c) => c.operation === 'DescribeStacks')).toHaveLength(2);
  });

  test('a create cancelled mid-run puts back what it created; the rollback Delete, under a made-up physical ID, finds nothing left', async () => {
    const ids = accountIds(3);
    const create = cfnEvent('Create', props(ids), { stackId });
    const started = await onEvent(create);
    // The first slice creates the members (CloudFormation has no answer yet)...
    expect(await isComplete(create, started)).toMatchObject({ IsComplete: true });
    // ...as if the answer had not reached CloudFormation: it cancels, and its Delete names no detector.
    gd.calls.length = 0;
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    const del = cfnEvent('Delete', props(ids), { stackId, physicalId: 'Security-Members-1R2G3J4K5L6M' });
    const delStarted = await onEvent(del);
    expect(delStarted.CdkSecurityMembers).toMatchObject({ target: DETECTOR });
    expect(await isComplete(del, delStarted)).toMatchObject({ IsComplete: true });
    expect(gd.state()).toEqual({});
    expect(claims()).toEqual([]);
  });

  test('a Delete under a made-up physical ID with no claim removes nothing, even accounts its properties declare', async () => {
    const ids = accountIds(2);
    ids.forEach((id) => gd.add(id, 'Enabled'));
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Delete', props(ids), { stackId, physicalId: 'Security-Members-1R2G3J4K5L6M' }));
    await run(cfnEvent('Delete', { ...props(ids), Schema: undefined }, { stackId, physicalId: 'Security-Members-1R2G3J4K5L6M' }));
    endpoint.cloudFormation.setStatus(stackId, 'DELETE_IN_PROGRESS');
    await run(cfnEvent('Delete', { ...props(ids), Schema: undefined }, { stackId, physicalId: 'Security-Members-1R2G3J4K5L6M' }));
    expect(mutations()).toEqual([]);
    expect(gd.state()).toEqual({ [ids[0]]: 'Enabled', [ids[1]]: 'Enabled' });
  });

  test('a create cancelled before its first slice changes nothing, whichever of it and the rollback Delete comes first', async () => {
    const ids = accountIds(3);
    const create = cfnEvent('Create', props(ids), { stackId });
    const started = await onEvent(create);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    const del = cfnEvent('Delete', props(ids), { stackId, physicalId: DETECTOR });
    expect(await isComplete(del, await onEvent(del))).toMatchObject({ IsComplete: true });
    await expect(isComplete(create, started)).rejects.toThrow(
      'GuardDuty: CloudFormation no longer waits for this creation (stack status ROLLBACK_IN_PROGRESS); nothing was changed.');
    expect(gd.state()).toEqual({});
    expect(mutations()).toEqual([]);
    expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
  });

  test('a create cancelled between slices plays back what it created, then reports the cancellation', async () => {
    const ids = accountIds(120);
    const create = cfnEvent('Create', props(ids), { stackId });
    const started = await onEvent(create);
    // One call per invocation: every invocation starts past its deadline.
    const shortContext = { ...lambdaContext, getRemainingTimeInMillis: () => TIME_RESERVE_MS - 1 };
    expect(await isComplete(create, started, shortContext)).toEqual({ IsComplete: false });
    expect(Object.keys(gd.state()).length).toBeGreaterThan(0);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await expect(isComplete(create, started)).rejects.toThrow(/no longer waits for this creation.*what it had changed was put back\.$/);
    expect(gd.state()).toEqual({});
    expect(claims()).toEqual([]);
    // The lock is free: the rollback Delete runs and has nothing to do.
    const del = cfnEvent('Delete', props(ids), { stackId, physicalId: DETECTOR });
    expect(await isComplete(del, await onEvent(del))).toMatchObject({ IsComplete: true });
  });

  test('an update cancelled while it waits for the lock never runs after the rollback', async () => {
    const [kept, dropped] = accountIds(2);
    await run(cfnEvent('Create', props([kept, dropped]), { stackId, logicalId: 'Y' }));
    gd.members.get(dropped)!.status = 'Enabled';
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    // Another resource of the stack holds the detector's lock: Y's update waits.
    await endpoint.ssm.put({ Name: LOCK, Value: JSON.stringify({ owner: 'x-run', expires: Date.now() + 60_000 }), Type: 'String' });
    const forward = cfnEvent('Update', props([kept]), { old: props([kept, dropped]), physicalId: DETECTOR, stackId, logicalId: 'Y' });
    const fStarted = await onEvent(forward);
    expect(await isComplete(forward, fStarted)).toEqual({ IsComplete: false });
    // Another resource fails: Y's update is cancelled and its rollback update sent.
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    const rollback = cfnEvent('Update', props([kept, dropped]), { old: props([kept]), physicalId: DETECTOR, stackId, logicalId: 'Y' });
    const rStarted = await onEvent(rollback);
    endpoint.ssm.parameters.delete(LOCK);
    expect(await isComplete(rollback, rStarted)).toMatchObject({ IsComplete: true });
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_COMPLETE');
    await expect(isComplete(forward, fStarted)).rejects.toThrow(/no longer waits for this update \(stack status UPDATE_ROLLBACK_COMPLETE\); nothing was changed/);
    expect(gd.state()).toEqual({ [kept]: 'Invited', [dropped]: 'Enabled' });
  });

  test('an update cancelled between slices puts back what it added and removed; the rollback update then has nothing left to do', async () => {
    const ids = accountIds(130);
    await run(cfnEvent('Create', props(ids.slice(0, 10)), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    // Adds 120, removes 2: one call per invocation.
    const declared = ids.slice(2);
    const forward = cfnEvent('Update', props(declared), { old: props(ids.slice(0, 10)), physicalId: DETECTOR, stackId });
    const fStarted = await onEvent(forward);
    const oneCall = { ...lambdaContext, getRemainingTimeInMillis: () => TIME_RESERVE_MS - 1 };
    expect(await isComplete(forward, fStarted, oneCall)).toEqual({ IsComplete: false });
    expect(Object.keys(gd.state()).length).toBeGreaterThan(10);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await expect(isComplete(forward, fStarted)).rejects.toThrow(/no longer waits for this update.*what it had changed was put back\.$/);
    expect(Object.keys(gd.state()).sort()).toEqual(ids.slice(0, 10));
    gd.calls.length = 0;
    const rollback = cfnEvent('Update', props(ids.slice(0, 10)), { old: props(declared), physicalId: DETECTOR, stackId });
    expect(await isComplete(rollback, await onEvent(rollback))).toMatchObject({ IsComplete: true });
    expect(mutations()).toEqual([]);
    // The claim is the create's again: the next update removes only what it no longer declares.
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', props(ids.slice(0, 9)), { old: props(ids.slice(0, 10)), physicalId: DETECTOR, stackId }));
    expect(Object.keys(gd.state()).sort()).toEqual(ids.slice(0, 9));
  });

  test('a cancelled forward update is never mistaken for the rollback of an earlier, opposite update', async () => {
    const [a, b] = accountIds(2);
    await run(cfnEvent('Create', props([a]), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', props([a, b]), { old: props([a]), physicalId: DETECTOR, stackId }));
    // The opposite update: its record goes from [a, b] to [a], as a rollback of the next one would.
    await run(cfnEvent('Update', props([a]), { old: props([a, b]), physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({ [a]: 'Invited' });
    const forward = cfnEvent('Update', props([a, b]), { old: props([a]), physicalId: DETECTOR, stackId });
    const started = await onEvent(forward);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    gd.calls.length = 0;
    await expect(isComplete(forward, started)).rejects.toThrow(/no longer waits for this update.*nothing was changed/);
    expect(mutations()).toEqual([]);
    expect(gd.state()).toEqual({ [a]: 'Invited' });
  });

  test('an update that finished before the stack rolled back: a late duplicate isComplete changes nothing, the rollback update restores', async () => {
    const [kept, dropped] = accountIds(2);
    await run(cfnEvent('Create', props([kept, dropped]), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    const forward = cfnEvent('Update', props([kept]), { old: props([kept, dropped]), physicalId: DETECTOR, stackId });
    const fStarted = await onEvent(forward);
    // Slices run until the removal is done but before CloudFormation hears back.
    expect(await isComplete(forward, fStarted)).toMatchObject({ IsComplete: true });
    expect(gd.state()).toEqual({ [kept]: 'Invited' });
    // The framework's duplicate isComplete after the cancellation: the run is done, nothing changes.
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(await isComplete(forward, fStarted)).toMatchObject({ IsComplete: true });
    const rollback = cfnEvent('Update', props([kept, dropped]), { old: props([kept]), physicalId: DETECTOR, stackId });
    expect(await isComplete(rollback, await onEvent(rollback))).toMatchObject({ IsComplete: true });
    expect(gd.state()).toEqual({ [kept]: 'Invited', [dropped]: 'Invited' });
  });

  test('a nested stack follows its root: deleted while the root\'s creation rolls back, only what the create added goes', async () => {
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    const nested = endpoint.cloudFormation.createStack('Security-Members-Nested', 'CREATE_IN_PROGRESS', stackId);
    const [existing, added] = accountIds(2);
    gd.add(existing, 'Enabled');
    // The nested stack's create ran while the root was still creating.
    endpoint.cloudFormation.setStatus(stackId, 'CREATE_IN_PROGRESS');
    await run(cfnEvent('Create', props([existing, added]), { stackId: nested }));
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    endpoint.cloudFormation.setStatus(nested, 'DELETE_IN_PROGRESS');
    await run(cfnEvent('Delete', props([existing, added]), { stackId: nested, physicalId: DETECTOR }));
    expect(gd.state()).toEqual({ [existing]: 'Enabled' });
  });

  test('a nested stack\'s create stops once its root rolls back', async () => {
    const nested = endpoint.cloudFormation.createStack('Security-Members-Nested', 'CREATE_IN_PROGRESS', stackId);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await expect(run(cfnEvent('Create', props(accountIds(2)), { stackId: nested })))
      .rejects.toThrow('(stack status CREATE_IN_PROGRESS, root stack ROLLBACK_IN_PROGRESS); nothing was changed.');
    expect(gd.state()).toEqual({});
  });
});

describe('the Provider framework runs one request twice', () => {
  test('two executions at once: one holds the lock, the other waits and then finds the work done; the rollback undoes it once', async () => {
    const ids = accountIds(3);
    const event = cfnEvent('Create', props(ids), { stackId });
    const first = await onEvent(event);
    const second = await onEvent(event);
    const untilComplete = async (started: StartResult) => {
      for (let i = 0; i < 20; i++) {
        const slice = await isComplete(event, started) as { IsComplete: boolean };
        if (slice.IsComplete) return slice;
      }
      throw new Error('never complete');
    };
    await Promise.all([untilComplete(first), untilComplete(second)]);
    expect(gd.callsOf('CreateMembers')).toHaveLength(1);
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Delete', props(ids), { stackId, physicalId: DETECTOR }));
    expect(gd.state()).toEqual({});
  });
});

describe('ledger writes that fail', () => {
  type SsmInput = { Name?: string; Value?: string; Names?: string[] };
  function failing(fails: (input: SsmInput) => boolean) {
    const wire = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
    const ssm = new SSMClient(wire);
    ssm.middlewareStack.add((next) => async (args) => {
      if (fails(args.input as SsmInput)) {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      return next(args);
    }, { step: 'initialize' });
    return clientsOf(new guardduty.GuardDutyClient({ region: 'us-east-1', maxAttempts: 1 }),
      new detective.DetectiveClient({ region: 'us-east-1', maxAttempts: 1 }), ssm, new CloudFormationClient(wire));
  }
  const clients = (failClaimWrites: () => boolean) => failing((input) => input.Value !== undefined && input.Name?.includes('/claim/') === true && failClaimWrites());

  test('a create whose journal cannot be written changes nothing; the claim written in the same round does not count, and nothing of the run is left', async () => {
    const ids = accountIds(3);
    gd.add('999999999990', 'Enabled');
    let fail = true;
    const journalFails = failing((input) => input.Value !== undefined && input.Name?.includes('/journal/') === true && fail);
    await expect(handleEvent(cfnEvent('Create', props([...ids, '999999999990']), { stackId }), lambdaContext, journalFails)).rejects.toThrow(/Rate exceeded/);
    expect(mutations()).toEqual([]);
    // The claim and the declaration's emails landed; the cleanup took them, and the lock went.
    expect(endpoint.calls.some((c) => c.operation === 'PutParameter' && c.name?.includes('/claim/'))).toBe(true);
    expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
    fail = false;
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await handleEvent(cfnEvent('Delete', props([...ids, '999999999990']), { physicalId: DETECTOR, stackId }), lambdaContext, journalFails);
    expect(gd.state()).toEqual({ 999999999990: 'Enabled' });
  });

  test('a declaration record that cannot be written (it goes out beside the live read) fails the run before any change, and the lock is released', async () => {
    const ids = accountIds(3);
    const declarationFails = failing((input) => input.Value !== undefined && input.Name?.includes('/declaration/') === true);
    await expect(handleEvent(cfnEvent('Create', props(ids), { stackId }), lambdaContext, declarationFails)).rejects.toThrow(/Rate exceeded/);
    expect(mutations()).toEqual([]);
    expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
    await run(cfnEvent('Create', props(ids), { stackId }));
    expect(Object.keys(gd.state()).sort()).toEqual(ids);
  });

  test('a round cut short whose claim outlived the run (no cleanup either): that claim does not count, and the next run removes nothing by it', async () => {
    const [held, adopted] = accountIds(2);
    await run(cfnEvent('Create', props([held]), { stackId }));
    gd.add(adopted, 'Enabled');
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    let fail = true;
    const cutShort = failing((input) => fail && ((input.Value !== undefined && input.Name?.includes('/journal/') === true) || (input.Names?.length ?? 0) > 1));
    await expect(handleEvent(cfnEvent('Update', props([held, adopted]), { old: props([held]), physicalId: DETECTOR, stackId }), lambdaContext, cutShort))
      .rejects.toThrow(/Rate exceeded/);
    expect(claims()).toHaveLength(2);
    fail = false;
    // Had the cut-short claim counted, this update would take the adopted account for one it held, and remove it.
    await run(cfnEvent('Update', props([held]), { old: props([held]), physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({ [held]: 'Invited', [adopted]: 'Enabled' });
  });

  test('the cleanup\'s deletes go in the lock\'s release call; when that call fails, the lock is released alone and the next run cleans up', async () => {
    const ids = accountIds(4);
    await run(cfnEvent('Create', props(ids.slice(0, 2)), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    endpoint.calls.length = 0;
    await run(cfnEvent('Update', props(ids.slice(0, 3)), { old: props(ids.slice(0, 2)), physicalId: DETECTOR, stackId }));
    // The create's journal and state are stale now: deleted with the lock, in one call, listed beside the claims' read
    // (the third read is the claim's declaration record, for the journal's prior emails).
    expect(endpoint.calls.filter((c) => c.operation === 'DeleteParameters')).toHaveLength(1);
    expect(endpoint.calls.filter((c) => c.operation === 'GetParametersByPath')).toHaveLength(3);
    const generations = (kind: string) => new Set([...endpoint.ssm.parameters.keys()].filter((n) => n.includes(`/${kind}/`)).map((n) => n.split('/').at(-2))).size;
    expect([generations('journal'), generations('journal-state'), generations('claim')]).toEqual([1, 1, 2]);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    let fail = true;
    const deletesFail = failing((input) => (input.Names?.length ?? 0) > 1 && fail);
    await handleEvent(cfnEvent('Update', props(ids), { old: props(ids.slice(0, 3)), physicalId: DETECTOR, stackId }), lambdaContext, deletesFail);
    expect(endpoint.ssm.parameters.has(LOCK)).toBe(false);
    expect(JSON.stringify(warn.mock.calls)).toContain('clean-up of older records failed: the next run tries again');
    expect(generations('journal')).toBe(2);
    fail = false;
    await handleEvent(cfnEvent('Update', props(ids.slice(1)), { old: props(ids), physicalId: DETECTOR, stackId }), lambdaContext, deletesFail);
    expect([generations('journal'), generations('journal-state'), generations('claim')]).toEqual([1, 1, 2]);
    expect(Object.keys(gd.state()).sort()).toEqual(ids.slice(1));
  });

  test('a create whose claim cannot be written fails before any change; its rollback Delete finds the journal and leaves no record', async () => {
    const ids = accountIds(3);
    gd.add('999999999990', 'Enabled');
    let fail = true;
    const declared = [...ids, '999999999990'];
    await expect(handleEvent(cfnEvent('Create', props(declared), { stackId }), lambdaContext, clients(() => fail))).rejects.toThrow(/Rate exceeded/);
    // The claim goes out before the first change: nothing changed.
    expect(gd.state()).toEqual({ 999999999990: 'Enabled' });
    expect(mutations()).toEqual([]);
    expect([...endpoint.ssm.parameters.keys()].some((name) => name.includes('/journal/'))).toBe(true);
    fail = false;
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    await handleEvent(cfnEvent('Delete', props(declared), { physicalId: DETECTOR, stackId }), lambdaContext, clients(() => fail));
    // What the create would have adopted stays.
    expect(gd.state()).toEqual({ 999999999990: 'Enabled' });
    expect([...endpoint.ssm.parameters.keys()]).toEqual([]);
  });
});

describe('rollbacks that cannot finish', () => {
  test('an update\'s rollback that cannot remove an account it created keeps it in the claim: deleting the stack removes it', async () => {
    const [a, created] = accountIds(2);
    await run(cfnEvent('Create', props([a]), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', props([a, created]), { old: props([a]), physicalId: DETECTOR, stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    gd.failNext('DisassociateMembers', serviceError('InternalServerErrorException'));
    // The stack's rollback completes (logged), the account stays...
    await run(cfnEvent('Update', props([a]), { old: props([a, created]), physicalId: DETECTOR, stackId }));
    expect(Object.keys(gd.state()).sort()).toEqual([a, created].sort());
    // ...held by the claim, so the stack's deletion removes it.
    endpoint.cloudFormation.setStatus(stackId, 'DELETE_IN_PROGRESS');
    await run(cfnEvent('Delete', props([a]), { physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({});
  });

  test('a create\'s rollback Delete that cannot remove what it created fails with the account and reason; deleting the stack finishes it', async () => {
    const [adopted, created] = accountIds(2);
    gd.add(adopted, 'Enabled');
    await run(cfnEvent('Create', props([adopted, created]), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'ROLLBACK_IN_PROGRESS');
    gd.failNext('DisassociateMembers', serviceError('InternalServerErrorException', 'The request failed'));
    await expect(run(cfnEvent('Delete', props([adopted, created]), { physicalId: DETECTOR, stackId })))
      .rejects.toThrow(new RegExp(`GuardDuty: 1 account created by the failed deployment could not be removed.*${created}.*The claim keeps ${created}`, 's'));
    // The stack is ROLLBACK_FAILED; its deletion removes the created account, never the adopted one.
    endpoint.cloudFormation.setStatus(stackId, 'DELETE_IN_PROGRESS');
    await run(cfnEvent('Delete', props([adopted, created]), { physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({ [adopted]: 'Enabled' });
    expect(claims()).toEqual([]);
  });
});

describe('a rollback plays back its own run\'s record only', () => {
  const members = (list: string[]) => ({ Service: 'GuardDuty', DetectorId: DETECTOR, Members: list, Schema: '2' });

  test('an older run\'s recorded emails are not used: the member comes back with the email it had', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Invited', 'wrong@example.com');
    // The create recreates A with the declared email (its run records the old one).
    await run(cfnEvent('Create', members([`${a}:right@example.com`]), { stackId }));
    expect(gd.members.get(a)!.email).toBe('right@example.com');
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', members([]), { old: members([`${a}:right@example.com`]), physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({});
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Update', members([`${a}:right@example.com`]), { old: members([]), physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({ [a]: 'Invited' });
    expect(gd.members.get(a)!.email).toBe('right@example.com');
  });

  test('an account another stack holds, accepted, is never recreated for an email', async () => {
    const [a] = accountIds(1);
    gd.add(a, 'Invited', 'wrong@example.com');
    await run(cfnEvent('Create', members([`${a}:right@example.com`]), { stackId }));
    const other = endpoint.cloudFormation.createStack('Other');
    await run(cfnEvent('Create', members([`${a}:right@example.com`]), { stackId: other, logicalId: 'Other' }));
    gd.members.get(a)!.status = 'Enabled';
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', members([]), { old: members([`${a}:right@example.com`]), physicalId: DETECTOR, stackId }));
    expect(gd.state()).toEqual({ [a]: 'Enabled' });
    gd.calls.length = 0;
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Update', members([`${a}:right@example.com`]), { old: members([]), physicalId: DETECTOR, stackId }));
    expect(mutations()).toEqual([]);
    expect(gd.state()).toEqual({ [a]: 'Enabled' });
  });
});

describe('time budgets', () => {
  const late = (started: StartResult, minutes: number): StartResult =>
    ({ ...started, CdkSecurityMembers: { ...started.CdkSecurityMembers, startedAt: Date.now() - minutes * 60_000 } });
  const oneCall = { ...lambdaContext, getRemainingTimeInMillis: () => TIME_RESERVE_MS - 1 };

  test('a run that could not start within the run budget fails without a change', async () => {
    const event = cfnEvent('Create', props(accountIds(3)), { stackId });
    const started = late(await onEvent(event), RUN_BUDGET_MS / 60_000 + 1);
    await expect(isComplete(event, started)).rejects.toThrow('GuardDuty: the run could not start within 24 minutes of the event; nothing was changed.');
    expect(mutations()).toEqual([]);
  });

  test('a create that goes on in later invocations creates with the declaration record\'s emails: its journal does not write them again', async () => {
    const ids = accountIds(120);
    const event = cfnEvent('Create', props(ids, { Message: 'Welcome' }), { stackId });
    const started = await onEvent(event);
    expect(await isComplete(event, started, oneCall)).toEqual({ IsComplete: false });
    expect([...endpoint.ssm.parameters.keys()].filter((name) => name.includes('/journal-secret/'))).toEqual([]);
    expect(await isComplete(event, started)).toMatchObject({ IsComplete: true });
    expect(gd.state()).toEqual(Object.fromEntries(ids.map((id) => [id, 'Invited'])));
    expect(ids.every((id) => gd.members.get(id)?.email === `${id}@example.com`)).toBe(true);
  });

  test('an update that removes members journals their recorded emails by the claim\'s declaration record that holds them: its rollback brings them back with those emails', async () => {
    const ids = accountIds(6);
    await run(cfnEvent('Create', props(ids), { stackId }));
    ids.forEach((id) => gd.add(id, 'Enabled'));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    await run(cfnEvent('Update', props(ids.slice(0, 4)), { old: props(ids), physicalId: DETECTOR, stackId }));
    expect(Object.keys(gd.state()).sort()).toEqual(ids.slice(0, 4));
    expect([...endpoint.ssm.parameters.keys()].filter((name) => name.includes('/journal-secret/'))).toEqual([]);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Update', props(ids), { old: props(ids.slice(0, 4)), physicalId: DETECTOR, stackId }));
    expect(Object.keys(gd.state()).sort()).toEqual(ids);
    expect(ids.slice(4).every((id) => gd.members.get(id)?.email === `${id}@example.com`)).toBe(true);
  });

  test('a create past the run budget is undone and fails with its progress', async () => {
    const event = cfnEvent('Create', props(accountIds(200)), { stackId });
    const started = await onEvent(event);
    expect(await isComplete(event, started, oneCall)).toEqual({ IsComplete: false });
    expect(Object.keys(gd.state()).length).toBeGreaterThan(0);
    await expect(isComplete(event, late(started, RUN_BUDGET_MS / 60_000 + 1)))
      .rejects.toThrow(/^GuardDuty: the deployment did not finish within 24 minutes \(50 created, 50 invited, 0 removed so far.*The 50 accounts this deployment added were removed again\./);
    expect(gd.state()).toEqual({});
  });

  test('an update past the run budget fails for CloudFormation\'s rollback, which puts back what it did', async () => {
    const ids = accountIds(200);
    await run(cfnEvent('Create', props(ids.slice(0, 100)), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_IN_PROGRESS');
    const update = cfnEvent('Update', props(ids), { old: props(ids.slice(0, 100)), physicalId: DETECTOR, stackId });
    const started = await onEvent(update);
    expect(await isComplete(update, started, oneCall)).toEqual({ IsComplete: false });
    await expect(isComplete(update, late(started, RUN_BUDGET_MS / 60_000 + 1))).rejects.toThrow(/did not finish within 24 minutes.*CloudFormation's rollback puts back what it changed\./);
    endpoint.cloudFormation.setStatus(stackId, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await run(cfnEvent('Update', props(ids.slice(0, 100)), { old: props(ids), physicalId: DETECTOR, stackId }));
    expect(Object.keys(gd.state()).sort()).toEqual(ids.slice(0, 100));
  });

  test('a delete past the undo budget fails with what it removed; the claim keeps the rest for the next attempt', async () => {
    const ids = accountIds(200);
    await run(cfnEvent('Create', props(ids), { stackId }));
    endpoint.cloudFormation.setStatus(stackId, 'DELETE_IN_PROGRESS');
    const del = cfnEvent('Delete', props(ids), { physicalId: DETECTOR, stackId });
    const started = late(await onEvent(del), (RUN_BUDGET_MS + UNDO_BUDGET_MS) / 60_000 + 1);
    await expect(isComplete(del, started, oneCall)).rejects.toThrow(/^GuardDuty: removing 200 accounts did not finish within 28 minutes \(0 removed\); the claim holds the rest/);
    await run(del);
    expect(gd.state()).toEqual({});
  });
});
