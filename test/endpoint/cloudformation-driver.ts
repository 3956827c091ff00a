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
import { SimulatedStack } from './simulated-stack';

export type Handler = (event: object, context: object) => Promise<Record<string, unknown>>;

export interface ResourceDeclaration {
  readonly type: string;
  readonly properties: Record<string, unknown>;
}

/** Logical ID → member resource, as a synthesized template has them. */
export type Template = Record<string, ResourceDeclaration>;

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
  /**
   * Another resource fails while this resource's create or update is still running, after this
   * many isComplete calls: CloudFormation stops waiting for it and rolls back, while the Provider
   * framework's waiter goes on calling isComplete in the background.
   */
  readonly cancelDuring?: { readonly logicalId: string; readonly afterCalls: number };
  /** `cdk deploy --no-rollback`: a failed deployment leaves the stack in UPDATE_FAILED (or CREATE_FAILED). */
  readonly noRollback?: boolean;
  /** Called after each isComplete call that did not complete, of any resource's create or update. */
  readonly afterIsComplete?: (logicalId: string, calls: number) => void;
}

/** What the framework tells the driver while a request runs. */
export interface SendHooks {
  /** After each isComplete call that did not complete. */
  readonly afterIsComplete?: (calls: number) => void;
}

export interface DriverOptions {
  /** What each invocation's context reports as remaining time (ms): small values force many isComplete calls. */
  readonly remainingMs?: number;
  /** The handler's function name, for the framework's `Logs:` line. */
  readonly functionName?: string;
}


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
  async send(event: Record<string, unknown>, hooks: SendHooks = {}): Promise<{ physicalId: string; data: Record<string, unknown> }> {
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
      hooks.afterIsComplete?.(calls);
      // The waiter's pause between calls (seconds in AWS, a millisecond here): other work goes on meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 1));
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

export { SimulatedStack } from './simulated-stack';
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
