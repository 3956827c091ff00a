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

export class Stacks {
  private readonly statuses = new Map<string, Promise<string | undefined>>();

  constructor(private readonly cloudFormation: CloudFormationClient) {}

  /**
   * The stack's status, `DELETE_COMPLETE` for a deleted stack (DescribeStacks by stack ID still
   * finds those), or undefined when CloudFormation knows no such stack. One call per stack and run.
   */
  status(stackId: string): Promise<string | undefined> {
    let status = this.statuses.get(stackId);
    if (!status) {
      status = this.describe(stackId);
      this.statuses.set(stackId, status);
    }
    return status;
  }

  /** Whether the stack is gone (deleted, or never known by that ID). */
  async gone(stackId: string): Promise<boolean> {
    const status = await this.status(stackId);
    return status === undefined || status === 'DELETE_COMPLETE';
  }

  private async describe(stackId: string): Promise<string | undefined> {
    try {
      const out = await this.cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
      return out.Stacks?.[0]?.StackStatus;
    } catch (err) {
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) {
        return undefined;
      }
      throw err;
    }
  }
}
