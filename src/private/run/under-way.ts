/**
 * Asynchronous removals a run started and had not seen through (Inspector's DisassociateMember
 * only starts the change, and reads show the account associated until it is through). The
 * journal keeps them; whatever plans next (the run's continuation, or the playback of a
 * cancelled or rolled-back run) awaits them first, or it would take a leaving account for a member.
 */
import { RunContext } from './context';
import { MemberApi } from '../engine';
import { awaitFinal } from '../execution/awaiting';
import { decodeAccounts, encodeAccounts } from '../ledger/codec';
import { RunProgress } from '../ledger/records';
import { operationName } from '../planner';

/** Awaits the removals `progress` records as under way; answers those still under way at the deadline. */
export async function awaitUnderWay(run: RunContext, api: MemberApi, progress: RunProgress, deadline: number): Promise<string[]> {
  const accountIds = decodeAccounts(progress.underWay);
  if (accountIds.length === 0) return [];
  const { unassociated } = api.statuses;
  const outcome = await awaitFinal(api, accountIds, (m) => m === undefined || unassociated.includes(m.status), {
    log: run.log, deadline, operation: operationName(api.statuses, 'DisassociateMembers'),
  });
  // Unreadable now: still under way for all the run knows (the next invocation reads again).
  return outcome.pending;
}

/** `progress` recording `accountIds` as under way (none: the field left out). */
export function withUnderWay(progress: RunProgress, accountIds: Iterable<string>): RunProgress {
  const ids = [...new Set(accountIds)];
  const { underWay: _, ...rest } = progress;
  return ids.length > 0 ? { ...rest, underWay: encodeAccounts(ids) } : rest;
}
