/**
 * CloudFormation as the member resources meet it, for lifecycle tests against the local
 * endpoint (test code): stacks whose deployments create, update (in a given order, or at the
 * same time), replace and delete resources, fail because of another resource and roll back,
 * with the stack status DescribeStacks answers at each step; and the CDK Provider framework's
 * handling of each event (onEvent, then isComplete until complete; a failed create answering a
 * marker whose Delete is skipped; `Logs:` appended to failure reasons).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Endpoint } from './member-endpoint';

export type Handler = (event: object, context: object) => Promise<Record<string, unknown>>;

export interface ResourceDeclaration {
  readonly type: string;
  readonly properties: Record<string, unknown>;
}

/** Logical ID → member resource, as a synthesized template has them. */
export type Template = Record<string, ResourceDeclaration>;

interface Deployed extends ResourceDeclaration {
  physicalId: string;
}

/** The Provider framework's marker for a create that failed before naming a physical ID. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

export class DeploymentFailed extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('\n---\n'));
  }
}

export interface DeployOptions {
  /** Update (and create) order by logical ID; default: template order. */
  readonly order?: readonly string[];
  /** Send every create and update at once, as CloudFormation does for independent resources. */
  readonly concurrent?: boolean;
  /** Another resource of the stack fails after the member resources' events: the stack rolls back. */
  readonly anotherResourceFails?: boolean;
}

export interface DriverOptions {
  /** What each invocation's context reports as remaining time (ms): small values force many isComplete calls. */
  readonly remainingMs?: number;
  /** The handler's function name, for the framework's `Logs:` line. */
  readonly functionName?: string;
}

let requests = 0;

/** The CDK Provider framework in front of the handler. */
export class ProviderFramework {
  /** Every failure reason the framework answered CloudFormation. */
  readonly reasons: string[] = [];
  /** isComplete calls per event, most recent last. */
  readonly isCompleteCalls: number[] = [];

  constructor(private readonly handler: Handler, private readonly options: DriverOptions = {}) {}

  private context() {
    const remaining = this.options.remainingMs ?? 14 * 60_000;
    const started = Date.now();
    return {
      invokedFunctionArn: `arn:aws:lambda:us-east-1:999999999999:function:${this.options.functionName ?? 'handler'}`,
      getRemainingTimeInMillis: () => remaining - (Date.now() - started),
    };
  }

  private fail(err: unknown): never {
    const reason = `${(err as Error).message}\n\nLogs: /aws/lambda/${this.options.functionName ?? 'handler'}\n`;
    this.reasons.push(reason);
    throw Object.assign(new Error(reason), { reason });
  }

  /** One CloudFormation request; resolves with the physical ID and Data, or throws with the reason. */
  async send(event: Record<string, unknown>): Promise<{ physicalId: string; data: Record<string, unknown> }> {
    if (event.RequestType === 'Delete' && event.PhysicalResourceId === CREATE_FAILED_MARKER) {
      return { physicalId: CREATE_FAILED_MARKER, data: {} };
    }
    let started: Record<string, unknown>;
    try {
      started = await this.handler(event, this.context());
    } catch (err) {
      if (event.RequestType === 'Create') {
        throw Object.assign(this.safeFail(err), { physicalId: CREATE_FAILED_MARKER });
      }
      this.fail(err);
    }
    const continued = { ...event, ...started };
    for (let calls = 1; calls <= 10_000; calls++) {
      let result: Record<string, unknown>;
      try {
        result = await this.handler(continued, this.context());
      } catch (err) {
        this.isCompleteCalls.push(calls);
        throw Object.assign(this.safeFail(err), { physicalId: started.PhysicalResourceId });
      }
      if (result.IsComplete) {
        this.isCompleteCalls.push(calls);
        return { physicalId: started.PhysicalResourceId as string, data: { ...(result.Data as object) } };
      }
      if (result.Data && Object.keys(result.Data).length > 0) {
        this.fail(new Error('"Data" is not allowed if "IsComplete" is "False"'));
      }
    }
    return this.fail(new Error('Operation timed out'));
  }

  /** The handler called directly (an EventBridge target), not through the framework. */
  invoke(event: object): Promise<Record<string, unknown>> {
    return this.handler(event, this.context());
  }

  private safeFail(err: unknown): Error {
    try {
      this.fail(err);
    } catch (failure) {
      return failure as Error;
    }
  }
}

export class CloudFormationSimulator {
  readonly framework: ProviderFramework;

  constructor(readonly endpoint: Endpoint, handler: Handler, options: DriverOptions = {}) {
    this.framework = new ProviderFramework(handler, options);
  }

  stack(name: string): SimulatedStack {
    return new SimulatedStack(this, name);
  }
}

export class SimulatedStack {
  readonly stackId: string;
  readonly resources = new Map<string, Deployed>();

  constructor(private readonly cfn: CloudFormationSimulator, readonly name: string) {
    this.stackId = cfn.endpoint.cloudFormation.createStack(name, 'REVIEW_IN_PROGRESS');
  }

  private setStatus(status: string) {
    this.cfn.endpoint.cloudFormation.setStatus(this.stackId, status);
  }

  private event(requestType: string, logicalId: string, resource: ResourceDeclaration, extra: object = {}) {
    return {
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework-onEvent',
      ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
      StackId: this.stackId,
      RequestId: `req-${++requests}`,
      LogicalResourceId: logicalId,
      ResourceType: resource.type,
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework-onEvent', ...resource.properties },
      ...extra,
    };
  }

  private create(logicalId: string, resource: ResourceDeclaration) {
    return this.cfn.framework.send(this.event('Create', logicalId, resource));
  }

  private update(logicalId: string, resource: ResourceDeclaration, old: Deployed) {
    return this.cfn.framework.send(this.event('Update', logicalId, resource, {
      PhysicalResourceId: old.physicalId,
      OldResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:999999999999:function:framework-onEvent', ...old.properties },
    }));
  }

  private remove(logicalId: string, resource: Deployed) {
    return this.cfn.framework.send(this.event('Delete', logicalId, resource, { PhysicalResourceId: resource.physicalId }));
  }

  /** Deploys `template`; throws DeploymentFailed (after the rollback) when the deployment fails. */
  async deploy(template: Template, options: DeployOptions = {}): Promise<void> {
    const creating = this.resources.size === 0;
    this.setStatus(creating ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS');
    const ids = options.order ? [...options.order, ...Object.keys(template).filter((id) => !options.order!.includes(id))] : Object.keys(template);
    const before = new Map(this.resources);
    const created: string[] = [];
    const updated: string[] = [];
    const replaced: { logicalId: string; old: Deployed; replacement: Deployed }[] = [];
    const failures: string[] = [];

    const step = async (logicalId: string) => {
      const next = template[logicalId];
      const current = this.resources.get(logicalId);
      if (current && JSON.stringify(current.properties) === JSON.stringify(next.properties) && current.type === next.type) {
        return;
      }
      try {
        if (!current) {
          created.push(logicalId);
          const out = await this.create(logicalId, next);
          this.resources.set(logicalId, { ...next, physicalId: out.physicalId });
        } else {
          updated.push(logicalId);
          const out = await this.update(logicalId, next, current);
          const deployed = { ...next, physicalId: out.physicalId };
          if (out.physicalId !== current.physicalId) replaced.push({ logicalId, old: current, replacement: deployed });
          this.resources.set(logicalId, deployed);
        }
      } catch (err) {
        failures.push((err as { reason?: string }).reason ?? String(err));
        const physicalId = (err as { physicalId?: string }).physicalId;
        if (!current && physicalId) {
          // A failed create still gets its (rollback) Delete, with whatever physical ID it answered.
          this.resources.set(logicalId, { ...next, physicalId });
        } else if (current) {
          // The rollback update's old properties are the ones that failed.
          this.resources.set(logicalId, { ...next, physicalId: current.physicalId });
        }
      }
    };
    if (options.concurrent) {
      await Promise.all(ids.map(step));
    } else {
      for (const id of ids) {
        await step(id);
        if (failures.length > 0) break;
      }
    }
    if (options.anotherResourceFails && failures.length === 0) {
      failures.push('Resource handler returned message: "another resource of the stack failed"');
    }

    if (failures.length === 0) {
      if (!creating) {
        this.setStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        for (const { logicalId, old } of replaced) {
          await this.remove(logicalId, old);
        }
        for (const [logicalId, old] of before) {
          if (!(logicalId in template)) {
            await this.remove(logicalId, old);
            this.resources.delete(logicalId);
          }
        }
      }
      this.setStatus(creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
      return;
    }

    // Roll back: updated resources get the old properties again; resources this deployment
    // created, and the new physical resources of replacements, are deleted.
    this.setStatus(creating ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS');
    for (const logicalId of [...updated].reverse()) {
      const old = before.get(logicalId)!;
      const current = this.resources.get(logicalId)!;
      try {
        // Back onto the old physical resource: a replacement's new one is deleted below.
        await this.update(logicalId, old, { ...current, physicalId: old.physicalId });
      } catch (err) {
        this.setStatus('UPDATE_ROLLBACK_FAILED');
        throw new DeploymentFailed([...failures, `rollback failed: ${(err as Error).message}`]);
      }
      this.resources.set(logicalId, old);
    }
    if (!creating) {
      this.setStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    }
    for (const { logicalId, replacement } of replaced) {
      await this.remove(logicalId, replacement);
    }
    for (const logicalId of [...created].reverse()) {
      const resource = this.resources.get(logicalId);
      if (resource) {
        await this.remove(logicalId, resource);
        this.resources.delete(logicalId);
      }
    }
    this.setStatus(creating ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE');
    throw new DeploymentFailed(failures);
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

/** A schedule rule's input, as synthesized: JSON text, joined around `{ Ref }`s to the member resource and the stack ID. */
export type SyncInput = unknown;

/**
 * The member resources of a stack as `cdk synth` writes them, and the inputs of its sync
 * schedules by rule logical ID: `build` adds constructs to a stack in account 999999999999,
 * us-east-1; the ServiceTokens are left out.
 */
export function synthesizeStack(build: (stack: Stack) => void, stackName = 'Members',
  options: { readonly outdir?: string } = {}): { template: Template; syncs: Record<string, SyncInput> } {
  // As `cdk synth` writes it (construct paths in the metadata), into `outdir` when given.
  const app = new App({ outdir: options.outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, stackName, { env: { account: '999999999999', region: 'us-east-1' } });
  build(stack);
  type Synthesized = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const synthesized = app.synth().getStackByName(stackName).template as Synthesized;
  const template: Template = Object.fromEntries(Object.entries(synthesized.Resources)
    .filter(([, r]) => r.Type.startsWith('Custom::') && r.Type.endsWith('Members'))
    .map(([id, r]) => {
      const { ServiceToken: _token, ...properties } = r.Properties;
      return [id, { type: r.Type, properties }];
    }));
  const syncs = Object.fromEntries(Object.entries(synthesized.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .map(([id, r]) => [id, (r.Properties.Targets as { Input: SyncInput }[])[0].Input]));
  return { template, syncs };
}

/** The member resources of a stack as `cdk synth` writes them (see {@link synthesizeStack}). */
export function synthesizeTemplate(build: (stack: Stack) => void, stackName = 'Members'): Template {
  return synthesizeStack(build, stackName).template;
}
