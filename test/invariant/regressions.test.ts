/**
 * Sequences the randomized tests once found breaking the ownership invariant, replayed step by
 * step (deterministic): each stays fixed.
 */
import { AddUnmanaged, Deploy, DeleteStack, Move, RollbackStack, SettleAll, Sync } from './commands';
import { runSequence } from './run';

jest.setTimeout(120_000);

test('a stack deleted after a cancelled update: a Delete does not take its properties\' sibling declarations (stale, and leaving too) for holders', async () => {
  await runSequence([
    new Deploy('S1', { C: { members: [] }, A: { members: ['200000000004'], unit: 'Two' } }, { kind: 'none' }),
    new Deploy('S1', {
      C: { members: ['200000000005', '300000000001'], unit: 'Two' },
      B: { members: ['200000000002', '200000000001'] },
      A: { members: ['200000000004'], unit: 'One' },
    }, { kind: 'none' }),
    new Sync('S1', 'B'),
    new Deploy('S1', {
      B: { members: ['300000000004'], unit: 'Two' },
      C: { members: ['200000000001', '200000000003'], unit: 'One' },
      A: { members: ['200000000004', '300000000003'] },
    }, { kind: 'none' }),
    new Deploy('S1', { B: { members: ['200000000001', '300000000001'], unit: 'Two' }, C: { members: ['200000000004', '200000000005'] } },
      { kind: 'cancel', afterCalls: 1 }),
    new DeleteStack('S1'),
  ], { pace: 'one call', faults: 'none', dice: 4 });
});

test('a sync that runs out of time (it has one invocation) leaves what it did not remove to the next run, which removes it', async () => {
  await runSequence([
    new Move('200000000003', 'One'),
    new Deploy('S1', { C: { members: ['200000000006'], unit: 'One' } }, { kind: 'cancel', afterCalls: 1 }),
    new Deploy('S2', { C: { members: [], unit: 'One' } }, { kind: 'none' }),
    new Move('200000000003', 'Two'),
    new SettleAll(),
  ], { pace: 'one call', faults: 'faults', dice: 517379 });
});

test('a resource\'s Delete keeps nothing for another declaration\'s OU that took the account in since its last run: it would stay with no one to remove it', async () => {
  await runSequence([
    new Deploy('S1', { A: { members: [], unit: 'One' } }, { kind: 'none' }),
    new Deploy('S2', { B: { members: ['200000000003'] } }, { kind: 'none' }),
    // A's OU takes 003 in; A does not run.
    new Move('200000000003', 'One'),
    new DeleteStack('S2'),
    // 003 leaves A's OU again before A ever held it: nothing may keep it a member.
    new Move('200000000003', 'Three'),
    new SettleAll(),
  ], { pace: 'whole', faults: 'none', dice: 1 });
});

test('a rollback brings back an organization account the failed update removed with the protection plans it had (journaled before the removal)', async () => {
  await runSequence([
    new AddUnmanaged('200000000005'),
    new Deploy('S1', { A: { members: ['200000000004'], unit: 'One', plans: true } }, { kind: 'none' }),
    new Deploy('S2', { B: { members: ['300000000003'], unit: 'One', plans: true }, C: { members: ['300000000001', '200000000003'], unit: 'Two' } }, { kind: 'none' }),
    new Deploy('S2', { B: { members: ['200000000002', '300000000002'], unit: 'One', plans: true }, C: { members: [] } }, { kind: 'cancel', afterCalls: 3 }),
    new Deploy('S2', { B: { members: [] }, C: { members: ['200000000004'], unit: 'One' }, A: { members: ['200000000005'], plans: true } }, { kind: 'after' }),
  ], { pace: 'one call', faults: 'none', dice: 457687 });
});

test('a rollback-stack long after a --no-rollback failure leaves the protection plans another stack declared since to it', async () => {
  await runSequence([
    new Deploy('S1', { A: { members: ['300000000004'] } }, { kind: 'none' }),
    new Deploy('S2', { C: { members: ['200000000005', '200000000002', '300000000002'], unit: 'One', plans: true }, A: { members: [], plans: true } }, { kind: 'cancel', afterCalls: 1 }),
    new Deploy('S1', { A: { members: ['200000000003', '200000000005', '200000000006'], unit: 'Two' }, B: { members: ['300000000002', '300000000003'], unit: 'One', plans: true }, C: { members: [] } }, { kind: 'none' }),
    new Deploy('S2', { C: { members: ['200000000003', '300000000004'], unit: 'One' }, A: { members: [], unit: 'Two' }, B: { members: ['200000000004'], plans: true } }, { kind: 'after' }),
    new Deploy('S1', { C: { members: ['200000000002', '300000000001', '200000000001'], unit: 'One', plans: true }, A: { members: [], unit: 'Two', plans: true } }, { kind: 'no-rollback' }),
    new Deploy('S2', { A: { members: ['200000000006', '300000000002'] }, B: { members: ['200000000003', '300000000004'], unit: 'One', plans: true }, C: { members: ['300000000003'] } }, { kind: 'none' }),
    new Deploy('S2', { A: { members: ['200000000005', '300000000002', '200000000006'], plans: true } }, { kind: 'none' }),
    new Deploy('S2', { A: { members: ['200000000003'], unit: 'One', plans: true }, C: { members: [] } }, { kind: 'none' }),
    new RollbackStack('S1'),
  ], { pace: 'one call', faults: 'none', dice: 418100 });
});

test('a rollback removes an account a failed update created although a sibling\'s failed run of the same operation desired it too', async () => {
  await runSequence([
    new SettleAll(),
    new Deploy('S1', { B: { members: ['200000000005'], plans: true }, C: { members: [], unit: 'One', plans: true } }, { kind: 'after' }),
    new Deploy('S2', { C: { members: [], unit: 'Two' } }, { kind: 'none' }),
    new Move('200000000001', 'Two'),
    new Deploy('S2', {
      A: { members: ['200000000002'], unit: 'Two', plans: true },
      B: { members: ['200000000004', '300000000004'], plans: true },
      C: { members: ['300000000003', '200000000001'], unit: 'One' },
    }, { kind: 'after' }),
  ], { pace: 'whole', faults: 'none', dice: 999985 });
});

test('two resources of one failed update that both declare a new account: the rollback removes it (what a sibling\'s failed run desired holds nothing)', async () => {
  await runSequence([
    new Deploy('S1', { C: { members: [] } }, { kind: 'none' }),
    new Deploy('S1', { C: { members: ['300000000001'] }, A: { members: ['300000000001'] } }, { kind: 'after' }),
    new Deploy('S1', { C: { members: ['200000000001'] }, A: { members: ['200000000001'] } }, { kind: 'cancel', afterCalls: 1 }),
  ], { pace: 'one call', faults: 'none', dice: 7 });
});

test('an account a failed update released to another stack, whose deletion then removed it: rollback-stack brings it back with the protection plans it had (journaled on release)', async () => {
  await runSequence([
    new Deploy('S2', { C: { members: ['200000000003'], unit: 'One', plans: true } }, { kind: 'none' }),
    new Deploy('S1', { B: { members: [], unit: 'Two', plans: true }, C: { members: ['300000000004', '200000000002', '200000000003'] } }, { kind: 'none' }),
    new SettleAll(),
    new Deploy('S2', {
      C: { members: ['300000000002', '200000000002', '200000000003'], unit: 'One', plans: true },
      A: { members: ['200000000006', '200000000004'], plans: true },
    }, { kind: 'no-rollback' }),
    new Deploy('S1', { B: { members: ['300000000002', '200000000006', '300000000001'], unit: 'One' }, C: { members: [], plans: true } }, { kind: 'no-rollback' }),
    new AddUnmanaged('300000000001'),
    new DeleteStack('S2'),
    new RollbackStack('S1'),
  ], { pace: 'whole', faults: 'none', dice: 4 });
});

test('the invariant checker reads the ledger past the endpoint\'s faults (a 5xx on its own read once failed a sequence the handler had kept)', async () => {
  await runSequence([
    new Deploy('S1', { A: { members: ['200000000001'], unit: 'Two', plans: true }, C: { members: [] } }, { kind: 'after' }),
    new DeleteStack('S1'),
    new SettleAll(),
    new Deploy('S2', { A: { members: ['200000000003', '300000000002', '200000000002'], unit: 'Two' }, C: { members: [], unit: 'One' }, B: { members: ['300000000003', '200000000006'] } }, { kind: 'none' }),
    new Deploy('S1', {
      A: { members: [], unit: 'Two', plans: true },
      C: { members: ['200000000001', '200000000005', '200000000002'] },
      B: { members: ['200000000004'], unit: 'One', plans: true },
    }, { kind: 'none' }),
    new Deploy('S2', { C: { members: ['300000000001', '300000000003', '200000000005'], unit: 'One' }, A: { members: ['200000000002'], unit: 'Two' } }, { kind: 'none' }),
    new Deploy('S1', { A: { members: ['300000000001', '300000000003', '200000000002'], unit: 'Two' } }, { kind: 'none' }),
    new Move('200000000004', 'Three'),
  ], { pace: 'one call', faults: 'faults', dice: 7 });
});

test('a sync out of time that adopted a hand-added member its OU took in says so (unfinished): its plans are the next run\'s to apply', async () => {
  await runSequence([
    new Deploy('S1', { A: { members: ['300000000001', '200000000006', '300000000003'], unit: 'Two', plans: true } }, { kind: 'none' }),
    new Deploy('S2', { A: { members: ['200000000002'], unit: 'Two' } }, { kind: 'none' }),
    new Move('200000000005', 'One'),
    new AddUnmanaged('200000000004'),
    new Move('200000000004', 'Two'),
    new AddUnmanaged('200000000003'),
    new DeleteStack('S2'),
    new Sync('S1', 'A'),
  ], { pace: 'one call', faults: 'faults', dice: 319451 });
});

test('Macie: an organization account rolled back after it moved between constructs is Enabled again; its email, which Macie reads back as null, is not compared', async () => {
  await runSequence([
    new Deploy('S2', { B: { members: ['200000000005', '200000000004'], unit: 'Two', plans: true } }, { kind: 'after' }),
    new Deploy('S1', { A: { members: [], plans: true }, C: { members: [], plans: true } }, { kind: 'none' }),
    new Sync('S1', 'A'),
    new DeleteStack('S1'),
    // 005 is created with the email A declares for it...
    new Deploy('S1', { A: { members: ['200000000005', '200000000004'], unit: 'One' }, B: { members: [] } }, { kind: 'none' }),
    // ...then held by C's OU alone (A is gone, and its claim with it)...
    new Deploy('S1', { C: { members: [], unit: 'Two' } }, { kind: 'none' }),
    // ...and removed by an update that fails: the rollback creates it again with its organization email.
    new Deploy('S1', { C: { members: ['200000000006', '300000000002'], unit: 'One' } }, { kind: 'after' }),
  ], { pace: 'whole', faults: 'faults', dice: 999996, service: 'Macie' });
});
