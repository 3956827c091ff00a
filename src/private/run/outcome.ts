/**
 * What an invocation answers the Provider framework: done (with the resource's attributes),
 * not done yet, or a failure whose message is the CloudFormation reason.
 */
import { emptySummary, ReconcileSummary } from '../engine';
import { ServiceDefinition } from '../services/service-definition';

export interface SliceResult {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string | number>;
  /** A sync that ran out of its one invocation: the next run continues (a sync's only, never CloudFormation's). */
  readonly Unfinished?: boolean;
}

/** Not done: the next isComplete call goes on. */
export const CONTINUE: SliceResult = { IsComplete: false };

/** The resource's Data: the target and counts, never account lists or emails. */
export function done(definition: ServiceDefinition, target: string, summary: ReconcileSummary = emptySummary(),
  extra: Record<string, number> = {}): SliceResult {
  return {
    IsComplete: true,
    Data: {
      [definition.target.attribute]: target,
      Created: summary.created,
      Invited: summary.invited,
      Removed: summary.removed,
      Unchanged: summary.unchanged,
      Unprocessed: summary.unprocessed,
      Disabled: summary.disabled,
      ...extra,
    },
  };
}

/** Accounts for a reason: at most 20 named. */
export function namedAccounts(accounts: readonly string[]): string {
  return `${accounts.slice(0, 20).join(', ')}${accounts.length > 20 ? ', ...' : ''}`;
}
