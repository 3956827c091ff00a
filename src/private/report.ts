/**
 * Turning failed accounts into a CloudFormation failure reason. CloudFormation rejects a
 * response body over 4,096 bytes (Reason, IDs and Data together), so the reason is kept to a
 * byte budget: accounts are grouped by operation and service reason, and as many account IDs
 * as fit are named. The full list goes to the log.
 */
import { AccountProblem } from './planner';

/** Reason budget in UTF-8 bytes; leaves room for the IDs and the framework's log pointer. */
export const REASON_BUDGET_BYTES = 2800;

/** Stops at quotes, brackets and backslashes: an address quoted in JSON text ends before its escape. */
const EMAIL_LIKE = /[^\s@"'`<>()[\]{},;:\\]+@[^\s@"'`<>()[\]{},;:\\]+/g;

/** Service texts may quote an address; logs and reasons must not. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL_LIKE, '<email>');
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function truncateToBytes(text: string, budget: number): string {
  if (byteLength(text) <= budget) {
    return text;
  }
  let end = Math.max(0, budget - 3);
  while (end > 0 && byteLength(text.slice(0, end)) > budget - 3) {
    end--;
  }
  return `${text.slice(0, end)}...`;
}

interface Group {
  readonly operation: string;
  readonly reason: string;
  readonly accountIds: string[];
}

function groupProblems(problems: readonly AccountProblem[]): Group[] {
  const groups = new Map<string, Group>();
  for (const problem of problems) {
    const reason = redactEmails(problem.reason.trim() || 'no reason given');
    const key = `${problem.operation}\u0000${reason}`;
    let group = groups.get(key);
    if (!group) {
      group = { operation: problem.operation, reason, accountIds: [] };
      groups.set(key, group);
    }
    if (!group.accountIds.includes(problem.accountId)) {
      group.accountIds.push(problem.accountId);
    }
  }
  // Biggest groups first: they explain most of the failure.
  return [...groups.values()].sort((a, b) => b.accountIds.length - a.accountIds.length);
}

export interface ReasonOptions {
  readonly service: string;
  /** What happened before the list, e.g. `3 of 120 accounts could not be reconciled`. */
  readonly headline: string;
  /** Appended after the list, e.g. what was undone and where the full log is. */
  readonly epilogue?: string;
  readonly budgetBytes?: number;
}

/**
 * `GuardDuty: 3 of 120 accounts could not be reconciled. CreateMembers, 2 accounts: "reason"
 * (111111111111, 222222222222); ...`
 */
export function formatFailureReason(problems: readonly AccountProblem[], options: ReasonOptions): string {
  const budget = options.budgetBytes ?? REASON_BUDGET_BYTES;
  const epilogue = options.epilogue ? ` ${redactEmails(options.epilogue)}` : '';
  let text = `${options.service}: ${redactEmails(options.headline)}.`;
  const groups = groupProblems(problems);
  // Room for the epilogue and the closing "N account(s) not named here..." is kept back.
  const listBudget = budget - byteLength(epilogue) - 80;
  let unnamed = 0;

  for (const group of groups) {
    const count = group.accountIds.length;
    const head = ` ${group.operation}, ${count} account${count === 1 ? '' : 's'}: "${truncateToBytes(group.reason, 300)}" (`;
    if (byteLength(text) + byteLength(head) + 14 > listBudget) {
      unnamed += count;
      continue;
    }
    text += head;
    let shown = 0;
    for (const accountId of group.accountIds) {
      const piece = `${shown === 0 ? '' : ', '}${accountId}`;
      if (byteLength(text) + byteLength(piece) + 2 > listBudget) {
        break;
      }
      text += piece;
      shown++;
    }
    unnamed += count - shown;
    text += shown < count ? `${shown === 0 ? '' : ', '}+${count - shown} more);` : ');';
  }
  if (unnamed > 0) {
    text += ` ${unnamed} account(s) not named here are in the log.`;
  }
  return truncateToBytes(`${text}${epilogue}`, budget);
}
