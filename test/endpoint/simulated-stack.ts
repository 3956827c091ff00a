/**
 * One CloudFormation stack as the member resources meet it (test code): deployments that create,
 * update (in a given order, or at the same time), replace and delete resources; another resource
 * failing after the member resources or while one of them is still running (CloudFormation stops
 * waiting for it, and its waiter goes on in the background); `--no-rollback` and `rollback-stack`;
 * cleanup Deletes that fail (retried, then skipped, the update completing all the same); stack
 * deletion. The stack's status and resources are mirrored into the endpoint's CloudFormation model,
 * so DescribeStacks and the stack's resources answer what the handler and `plan` would see.
 */
import type { CloudFormationSimulator, DeployOptions, ResourceDeclaration, SyncInput, Template } from './cloudformation-driver';
import { DeploymentFailed } from './cloudformation-driver';

interface Deployed extends ResourceDeclaration {
  physicalId: string;
}

/** CloudFormation retries a failed cleanup Delete this often, then skips it. */
const CLEANUP_ATTEMPTS = 3;
const TOKEN = 'arn:aws:lambda:us-east-1:999999999999:function:framework-onEvent';
let requests = 0;

/** What a deployment did, for its rollback. */
interface Progress {
  readonly before: Map<string, Deployed>;
  readonly created: string[];
  readonly updated: string[];
  readonly replaced: { logicalId: string; old: Deployed; replacement: Deployed }[];
  readonly failures: string[];
  /** Waiters CloudFormation stopped waiting for: they run on, and the deployment ends only once they did. */
  readonly background: Promise<unknown>[];
}

export class SimulatedStack {
  readonly stackId: string;
  readonly resources = new Map<string, Deployed>();
  /** The resources as of the last stable (`*_COMPLETE`) state: what `rollback-stack` goes back to. */
  private stable = new Map<string, Deployed>();
  /** Cleanup Deletes CloudFormation gave up on: the resource left the stack, its Delete never succeeded. */
  readonly skippedDeletes: string[] = [];

  constructor(private readonly cfn: CloudFormationSimulator, readonly name: string) {
    this.stackId = cfn.endpoint.cloudFormation.createStack(name, 'REVIEW_IN_PROGRESS');
  }

  get status(): string {
    return this.cfn.endpoint.cloudFormation.find(this.stackId)!.status;
  }

  private setStatus(status: string) {
    this.cfn.endpoint.cloudFormation.setStatus(this.stackId, status);
  }

  private track(logicalId: string, resource: Deployed | undefined) {
    if (resource) {
      this.resources.set(logicalId, resource);
      this.cfn.endpoint.cloudFormation.addResource(this.stackId, logicalId, resource.type, resource.physicalId, 'UPDATE_COMPLETE');
    } else {
      this.resources.delete(logicalId);
      this.cfn.endpoint.cloudFormation.removeResource(this.stackId, logicalId);
    }
  }

  private event(requestType: string, logicalId: string, resource: ResourceDeclaration, extra: object = {}) {
    return {
      RequestType: requestType,
      ServiceToken: TOKEN,
      ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
      StackId: this.stackId,
      RequestId: `req-${++requests}`,
      LogicalResourceId: logicalId,
      ResourceType: resource.type,
      ResourceProperties: { ServiceToken: TOKEN, ...resource.properties },
      ...extra,
    };
  }

  private create(logicalId: string, resource: ResourceDeclaration, hooks = {}) {
    return this.cfn.framework.send(this.event('Create', logicalId, resource), hooks);
  }

  private update(logicalId: string, resource: ResourceDeclaration, old: Deployed, hooks = {}) {
    return this.cfn.framework.send(this.event('Update', logicalId, resource, {
      PhysicalResourceId: old.physicalId,
      OldResourceProperties: { ServiceToken: TOKEN, ...old.properties },
    }), hooks);
  }

  private remove(logicalId: string, resource: Deployed) {
    return this.cfn.framework.send(this.event('Delete', logicalId, resource, { PhysicalResourceId: resource.physicalId }));
  }

  /** Deploys `template`; throws DeploymentFailed (after the rollback, unless `noRollback`) when the deployment fails. */
  async deploy(template: Template, options: DeployOptions = {}): Promise<void> {
    const creating = this.resources.size === 0 && this.status === 'REVIEW_IN_PROGRESS';
    this.setStatus(creating ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS');
    const ids = options.order ? [...options.order, ...Object.keys(template).filter((id) => !options.order!.includes(id))] : Object.keys(template);
    const progress: Progress = { before: new Map(this.resources), created: [], updated: [], replaced: [], failures: [], background: [] };
    if (options.concurrent) {
      await Promise.all(ids.map((id) => this.step(template, id, progress, options)));
    } else {
      for (const id of ids) {
        await this.step(template, id, progress, options);
        if (progress.failures.length > 0) break;
      }
    }
    if (options.anotherResourceFails && progress.failures.length === 0) {
      progress.failures.push('Resource handler returned message: "another resource of the stack failed"');
    }
    try {
      if (progress.failures.length === 0) {
        await this.complete(template, progress, creating);
        return;
      }
      if (options.noRollback) {
        this.setStatus(creating ? 'CREATE_FAILED' : 'UPDATE_FAILED');
        throw new DeploymentFailed(progress.failures);
      }
      await this.rollBack(progress, creating);
    } finally {
      await Promise.allSettled(progress.background);
    }
  }

  /** One resource's create or update (skipped when unchanged). */
  private async step(template: Template, logicalId: string, progress: Progress, options: DeployOptions): Promise<void> {
    const next = template[logicalId];
    const current = this.resources.get(logicalId);
    if (current && JSON.stringify(current.properties) === JSON.stringify(next.properties) && current.type === next.type) {
      return;
    }
    let cancel!: () => void;
    const cancelled = new Promise<'cancelled'>((resolve) => (cancel = () => resolve('cancelled')));
    const hooks = {
      afterIsComplete: (calls: number) => {
        options.afterIsComplete?.(logicalId, calls);
        if (options.cancelDuring?.logicalId === logicalId && calls === options.cancelDuring.afterCalls) cancel();
      },
    };
    (current ? progress.updated : progress.created).push(logicalId);
    const running = current ? this.update(logicalId, next, current, hooks) : this.create(logicalId, next, hooks);
    const outcome = await Promise.race([running.then((out) => ({ out }), (err: unknown) => ({ err })), cancelled]);
    if (outcome === 'cancelled') {
      progress.background.push(running.catch(() => undefined));
      progress.failures.push('Resource handler returned message: "another resource of the stack failed"');
      // CloudFormation no longer waits: it rolls back what it sent, this resource included (a
      // create it never heard back from under a physical ID it makes up).
      this.track(logicalId, { ...next, physicalId: current?.physicalId ?? `${this.name}-${logicalId}-1A2B3C4D5E6F` });
      return;
    }
    if ('err' in outcome) {
      progress.failures.push((outcome.err as { reason?: string }).reason ?? String(outcome.err));
      const physicalId = (outcome.err as { physicalId?: string }).physicalId;
      // A failed create still gets its (rollback) Delete, with whatever physical ID it answered;
      // a failed update's rollback Update has the properties that failed as its old ones.
      if (!current && physicalId) this.track(logicalId, { ...next, physicalId });
      if (current) this.track(logicalId, { ...next, physicalId: current.physicalId });
      return;
    }
    const deployed = { ...next, physicalId: outcome.out.physicalId };
    if (current && outcome.out.physicalId !== current.physicalId) {
      progress.replaced.push({ logicalId, old: current, replacement: deployed });
    }
    this.track(logicalId, deployed);
  }

  private async complete(template: Template, progress: Progress, creating: boolean): Promise<void> {
    if (!creating) {
      this.setStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      for (const { logicalId, old } of progress.replaced) {
        await this.cleanupDelete(logicalId, old);
      }
      for (const [logicalId, old] of progress.before) {
        if (!(logicalId in template)) {
          await this.cleanupDelete(logicalId, old);
          this.track(logicalId, undefined);
        }
      }
    }
    this.setStatus(creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
    this.stable = new Map(this.resources);
  }

  /** A Delete in the cleanup phase: retried, then skipped (the update completes all the same). */
  private async cleanupDelete(logicalId: string, resource: Deployed): Promise<void> {
    for (let attempt = 1; attempt <= CLEANUP_ATTEMPTS; attempt++) {
      try {
        await this.remove(logicalId, resource);
        return;
      } catch {
        // CloudFormation tries again, then gives up on this cleanup.
      }
    }
    this.skippedDeletes.push(logicalId);
  }

  /** CloudFormation's rollback: updated resources get their old properties again; resources it created are deleted. */
  private async rollBack(progress: Progress, creating: boolean): Promise<never> {
    this.setStatus(creating ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS');
    await this.rollBackTo(progress.before, progress.updated, progress.created, progress.replaced);
    this.setStatus(creating ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE');
    if (!creating) this.stable = new Map(this.resources);
    throw new DeploymentFailed(progress.failures);
  }

  private async rollBackTo(target: Map<string, Deployed>, updated: readonly string[], created: readonly string[],
    replaced: Progress['replaced']): Promise<void> {
    for (const logicalId of [...updated].reverse()) {
      const old = target.get(logicalId)!;
      const current = this.resources.get(logicalId)!;
      try {
        // Back onto the old physical resource: a replacement's new one is deleted below.
        await this.update(logicalId, old, { ...current, physicalId: old.physicalId });
      } catch (err) {
        this.setStatus('UPDATE_ROLLBACK_FAILED');
        throw new DeploymentFailed([`rollback failed: ${(err as Error).message}`]);
      }
      this.track(logicalId, old);
    }
    this.setStatus(this.status === 'ROLLBACK_IN_PROGRESS' ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    for (const { logicalId, replacement } of replaced) {
      await this.remove(logicalId, replacement);
    }
    for (const logicalId of [...created].reverse()) {
      const resource = this.resources.get(logicalId);
      if (resource) {
        await this.remove(logicalId, resource);
        this.track(logicalId, undefined);
      }
    }
  }

  /** `rollback-stack` from UPDATE_FAILED: back to the last stable state. */
  async rollbackStack(): Promise<void> {
    if (this.status !== 'UPDATE_FAILED') throw new Error(`test setup: rollback-stack from ${this.status}`);
    this.setStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    const updated = [...this.resources.keys()].filter((id) => this.stable.has(id)
      && JSON.stringify(this.stable.get(id)!.properties) !== JSON.stringify(this.resources.get(id)!.properties));
    const created = [...this.resources.keys()].filter((id) => !this.stable.has(id));
    await this.rollBackTo(this.stable, updated, created, []);
    this.setStatus('UPDATE_ROLLBACK_COMPLETE');
    this.stable = new Map(this.resources);
  }

  /**
   * EventBridge fires a sync schedule: the rule's input, its references resolved (the member
   * resource's physical ID, the stack ID), goes to the handler as Lambda's asynchronous event.
   */
  async sync(input: SyncInput): Promise<Record<string, unknown>> {
    // The rule's Input is a JSON string, or an Fn::Join of its text around the Refs.
    const resolve = (value: unknown): string => {
      if (typeof value === 'string') return value;
      const { Ref: ref, 'Fn::Join': join } = value as { 'Ref'?: string; 'Fn::Join'?: [string, unknown[]] };
      if (join) return join[1].map(resolve).join(join[0]);
      if (ref === 'AWS::StackId') return this.stackId;
      const resource = ref === undefined ? undefined : this.resources.get(ref);
      if (!resource) throw new Error(`test setup: cannot resolve ${JSON.stringify(value)} in a sync input`);
      return resource.physicalId;
    };
    return this.cfn.framework.invoke(JSON.parse(resolve(input)) as object);
  }

  /** Deletes the stack; `skip` resources are left alone (as `--retain-resources` on a failed delete does). */
  async delete(options: { skip?: readonly string[] } = {}): Promise<void> {
    this.setStatus('DELETE_IN_PROGRESS');
    for (const [logicalId, resource] of [...this.resources].reverse()) {
      if (!options.skip?.includes(logicalId)) {
        await this.remove(logicalId, resource);
      }
    }
    this.resources.clear();
    this.cfn.endpoint.cloudFormation.deleteStack(this.stackId);
  }
}
