/** Time and size budgets every run keeps to. */

/** Additions and removals must be done this long after the event's first invocation... */
export const RUN_BUDGET_MS = 24 * 60_000;
/** ...and the undo of a failed create this much later: within the Provider's total timeout (30 minutes). */
export const UNDO_BUDGET_MS = 4 * 60_000;
/** A lock outlives any invocation (14 minutes): a holder that died lets go after this. */
export const LOCK_TTL_MS = 16 * 60_000;
/** A census older than this is counted again with ListMembers. */
export const CENSUS_MAX_AGE_MS = 24 * 60 * 60_000;
/** Near the quota, the exact count is read (ListMembers) before adding. */
export const QUOTA_MARGIN = 0.9;
