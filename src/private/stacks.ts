/**
 * What CloudFormation says about stacks: the handler's own stack status tells a rollback from an
 * ordinary update, and a claim whose stack no longer exists must not block removals for ever.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** Stack statuses while CloudFormation undoes a failed deployment. */
export const ROLLBACK_STATUSES: readonly string[] = [
  'ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'IMPORT_ROLLBACK_IN_PROGRESS',
];

export function isRollback(status: string | undefined): boolean {
  return status !== undefined && ROLLBACK_STATUSES.includes(status);
}

/** Deployments in progress: a scheduled sync waits for them to end. */
export function isInProgress(status: string | undefined): boolean {
  return status !== undefined && status.endsWith('_IN_PROGRESS');
}

/** Where a stack's deployment stands: its own status and, for a nested stack, its root stack's. */
export interface StackState {
  /** undefined when CloudFormation knows no such stack. */
  readonly status?: string;
  /** The root stack's status, for a nested stack. */
  readonly rootStatus?: string;
  /**
   * The stack operation under way or last done: when it was last updated (or created). Runs of
   * one deployment record the same value, which tells their journals from older ones.
   */
  readonly operation?: string;
}

/**
 * Whether a stack is settled: its last operation is complete and nothing is in progress or
 * failed half-way (`UPDATE_FAILED` and `*_ROLLBACK_FAILED` are not settled: a rollback may follow).
 */
export function isSettled(state: StackState): boolean {
  const settled = (status: string | undefined) => status !== undefined && status.endsWith('_COMPLETE') && status !== 'DELETE_COMPLETE';
  return settled(state.status) && (state.rootStatus === undefined || settled(state.rootStatus));
}

/**
 * Whether CloudFormation is undoing a failed deployment of the stack. A nested stack follows its
 * root: when a root stack's creation rolls back, its nested stacks are deleted (DELETE_IN_PROGRESS),
 * and their resources' Deletes are rollbacks all the same.
 */
export function isRollingBack(state: StackState): boolean {
  return isRollback(state.status) || isRollback(state.rootStatus);
}

/** Statuses in which CloudFormation is still waiting for a Create (a new stack or a new resource in an update)... */
const CREATING: readonly string[] = ['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'IMPORT_IN_PROGRESS'];
/** ...and for an Update. */
const UPDATING: readonly string[] = ['UPDATE_IN_PROGRESS'];

/**
 * Whether CloudFormation still waits for this Create or Update. Once another resource failed, it
 * cancels the resources in progress and rolls back: the Provider framework's waiter keeps calling,
 * but a cancelled run must not go on changing membership. A stack CloudFormation does not know
 * (never the case for the handler's own stack) is not taken as a cancellation.
 */
export function isAwaited(state: StackState, requestType: 'Create' | 'Update'): boolean {
  if (state.status === undefined) {
    return true;
  }
  const awaited = requestType === 'Create' ? CREATING : UPDATING;
  return awaited.includes(state.status) && (state.rootStatus === undefined || CREATING.includes(state.rootStatus));
}

interface Described {
  readonly status?: string;
  readonly rootId?: string;
  readonly stackId?: string;
  readonly operation?: string;
}

export class Stacks {
  private readonly described = new Map<string, Promise<Described>>();

  constructor(private readonly cloudFormation: CloudFormationClient) {}

  /**
   * The stack's status, `DELETE_COMPLETE` for a deleted stack (DescribeStacks by stack ID still
   * finds those), or undefined when CloudFormation knows no such stack. One call per stack and run.
   */
  async status(stackId: string): Promise<string | undefined> {
    return (await this.describeOnce(stackId)).status;
  }

  /** The stack's status and, for a nested stack, its root's (one more call). */
  async state(stackId: string): Promise<StackState> {
    const own = await this.describeOnce(stackId);
    if (!own.rootId || own.rootId === stackId) {
      return { status: own.status, operation: own.operation };
    }
    return { status: own.status, rootStatus: (await this.describeOnce(own.rootId)).status, operation: own.operation };
  }

  /** The ID of the live stack named `stackName` (by name, DescribeStacks finds no deleted stack), or undefined. */
  async stackIdOf(stackName: string): Promise<string | undefined> {
    return (await this.describeOnce(stackName)).stackId;
  }

  /** Whether the stack is gone (deleted, or never known by that ID). */
  async gone(stackId: string): Promise<boolean> {
    const status = await this.status(stackId);
    return status === undefined || status === 'DELETE_COMPLETE';
  }

  private describeOnce(stackId: string): Promise<Described> {
    let described = this.described.get(stackId);
    if (!described) {
      described = this.describe(stackId);
      this.described.set(stackId, described);
    }
    return described;
  }

  private async describe(stackId: string): Promise<Described> {
    try {
      const stack = (await this.cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0];
      const when = stack?.LastUpdatedTime ?? stack?.CreationTime;
      return { status: stack?.StackStatus, rootId: stack?.RootId, stackId: stack?.StackId, operation: when?.toISOString() };
    } catch (err) {
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) {
        return {};
      }
      throw err;
    }
  }
}
