/**
 * CloudFormation DescribeStacks and DescribeStackResource (AWS Query, version 2010-05-15): a
 * registry of stacks whose status and resources tests set, looked up as the real API does (test
 * code, never shipped).
 */
import { createHash } from 'crypto';
import { ADMINISTRATOR_ACCOUNT, awsQuery, REGION, ServiceDefinition, ServiceError } from './wire';

export interface StackRecord {
  readonly stackId: string;
  readonly stackName: string;
  status: string;
  readonly creationTime: Date;
  lastUpdatedTime?: Date;
  deletionTime?: Date;
  /** For a nested stack: its parent's and root's stack IDs. */
  readonly parentId?: string;
  readonly rootId?: string;
  /** Resources tests declare deployed, by logical ID. */
  readonly resources: Map<string, StackResourceRecord>;
}

export interface StackResourceRecord {
  readonly type: string;
  readonly physicalId?: string;
  status: string;
}

const VERSION = '2010-05-15';

export class CloudFormationModel {
  readonly stacks: StackRecord[] = [];

  /**
   * A live stack, UPDATE_IN_PROGRESS unless told (a stack being deployed: CloudFormation awaits
   * its resources' Creates and Updates); nested in `parent` when given. Answers its stack ID.
   */
  createStack(name: string, status = 'UPDATE_IN_PROGRESS', parent?: string): string {
    if (this.live(name)) throw new Error(`test setup: stack ${name} already exists`);
    const parentStack = parent === undefined ? undefined : this.find(parent);
    if (parent !== undefined && !parentStack) throw new Error(`test setup: no parent stack ${parent}`);
    const digest = createHash('sha256').update(`${name}|${this.stacks.length}`).digest('hex');
    const uuid = [digest.slice(0, 8), digest.slice(8, 12), digest.slice(12, 16), digest.slice(16, 20), digest.slice(20, 32)].join('-');
    const stackId = `arn:aws:cloudformation:${REGION}:${ADMINISTRATOR_ACCOUNT}:stack/${name}/${uuid}`;
    this.stacks.push({
      stackId,
      stackName: name,
      status,
      creationTime: new Date(),
      parentId: parentStack?.stackId,
      rootId: parentStack ? parentStack.rootId ?? parentStack.stackId : undefined,
      resources: new Map(),
    });
    return stackId;
  }

  /** A resource of the live stack by that name (or the stack with that ID), CREATE_COMPLETE unless told. */
  addResource(nameOrId: string, logicalId: string, type: string, physicalId: string | undefined, status = 'CREATE_COMPLETE') {
    const stack = this.find(nameOrId);
    if (!stack) throw new Error(`test setup: no stack ${nameOrId}`);
    stack.resources.set(logicalId, { type, physicalId, status });
  }

  /**
   * Sets the status (e.g. UPDATE_ROLLBACK_IN_PROGRESS) of the live stack by that name, or the
   * stack with that ID. As CloudFormation does, an update operation (UPDATE_IN_PROGRESS) sets the
   * stack's LastUpdatedTime, later than any before; the statuses of its rollback or cleanup do not.
   */
  setStatus(nameOrId: string, status: string) {
    const stack = this.find(nameOrId);
    if (!stack) throw new Error(`test setup: no stack ${nameOrId}`);
    stack.status = status;
    if (status === 'DELETE_COMPLETE') {
      stack.deletionTime = new Date();
    } else if (status === 'UPDATE_IN_PROGRESS') {
      const last = (stack.lastUpdatedTime ?? stack.creationTime).getTime();
      stack.lastUpdatedTime = new Date(Math.max(Date.now(), last + 1));
    }
  }

  /** Removes a resource of the live stack by that name (or the stack with that ID). */
  removeResource(nameOrId: string, logicalId: string) {
    this.find(nameOrId)?.resources.delete(logicalId);
  }

  deleteStack(nameOrId: string) {
    this.setStatus(nameOrId, 'DELETE_COMPLETE');
  }

  /** By name only a live stack; by stack ID also a deleted one, as DescribeStacks finds them. */
  find(nameOrId: string): StackRecord | undefined {
    return nameOrId.startsWith('arn:') ? this.stacks.find((s) => s.stackId === nameOrId) : this.live(nameOrId);
  }

  private live(name: string): StackRecord | undefined {
    return this.stacks.find((s) => s.stackName === name && s.status !== 'DELETE_COMPLETE');
  }
}

function wire(s: StackRecord) {
  return {
    StackId: s.stackId,
    StackName: s.stackName,
    CreationTime: s.creationTime,
    DeletionTime: s.deletionTime,
    LastUpdatedTime: s.lastUpdatedTime,
    StackStatus: s.status,
    ParentId: s.parentId,
    RootId: s.rootId,
  };
}

export function cloudFormationService(model: CloudFormationModel): ServiceDefinition {
  return {
    name: 'CloudFormation',
    signingName: 'cloudformation',
    protocol: awsQuery(`http://cloudformation.amazonaws.com/doc/${VERSION}/`),
    recognizes: (method, _path, headers, body) =>
      method === 'POST' && String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') && /(^|&)Action=/.test(body.toString('utf8')),
    throttled: () => new ServiceError(400, 'Throttling', 'Rate exceeded'),
    internalError: () => new ServiceError(500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'),
    unknownOperation: () => new ServiceError(400, 'InvalidAction', `The action or operation requested is invalid for version ${VERSION}.`),
    route: ({ method, input }) => {
      if (method !== 'POST' || input.Version !== VERSION) return undefined;
      if (input.Action === 'DescribeStackResource') {
        return {
          operation: 'DescribeStackResource',
          mutating: false,
          accounts: 0,
          run: () => {
            const name = input.StackName as string | undefined;
            const logicalId = input.LogicalResourceId as string | undefined;
            if (!name || !logicalId) throw new ServiceError(400, 'ValidationError', `1 validation error detected: Value null at '${name ? 'logicalResourceId' : 'stackName'}' failed to satisfy constraint: Member must not be null`);
            const stack = model.find(name);
            if (!stack) throw new ServiceError(400, 'ValidationError', `Stack '${name}' does not exist`);
            const resource = stack.resources.get(logicalId);
            if (!resource) throw new ServiceError(400, 'ValidationError', `Resource ${logicalId} does not exist for stack ${stack.stackName}`);
            return {
              StackResourceDetail: {
                StackName: stack.stackName,
                StackId: stack.stackId,
                LogicalResourceId: logicalId,
                PhysicalResourceId: resource.physicalId,
                ResourceType: resource.type,
                LastUpdatedTimestamp: stack.lastUpdatedTime ?? stack.creationTime,
                ResourceStatus: resource.status,
              },
            };
          },
        };
      }
      if (input.Action === 'ListStackResources') {
        return { operation: 'ListStackResources', mutating: false, accounts: 0, run: () => listStackResources(model, input) };
      }
      if (input.Action !== 'DescribeStacks') return undefined;
      return {
        operation: 'DescribeStacks',
        mutating: false,
        accounts: 0,
        run: () => {
          const name = input.StackName as string | undefined;
          if (name === undefined) return { Stacks: model.stacks.filter((s) => s.status !== 'DELETE_COMPLETE').map(wire) };
          const stack = model.find(name);
          if (!stack) throw new ServiceError(400, 'ValidationError', `Stack with id ${name} does not exist`);
          return { Stacks: [wire(stack)] };
        },
      };
    },
  };
}

/** ListStackResources: a live stack's resources by name, or any stack's by ID, in pages of 100. */
function listStackResources(model: CloudFormationModel, input: Record<string, unknown>) {
  const name = input.StackName as string | undefined;
  if (!name) throw new ServiceError(400, 'ValidationError', '1 validation error detected: Value null at \'stackName\' failed to satisfy constraint: Member must not be null');
  const stack = model.find(name);
  if (!stack) throw new ServiceError(400, 'ValidationError', `Stack with id ${name} does not exist`);
  const all = [...stack.resources].map(([logicalId, r]) => ({
    LogicalResourceId: logicalId,
    PhysicalResourceId: r.physicalId,
    ResourceType: r.type,
    LastUpdatedTimestamp: stack.lastUpdatedTime ?? stack.creationTime,
    ResourceStatus: r.status,
  }));
  const start = Number(input.NextToken ?? 0);
  const page = all.slice(start, start + 100);
  return { StackResourceSummaries: page, NextToken: start + 100 < all.length ? String(start + 100) : undefined };
}
