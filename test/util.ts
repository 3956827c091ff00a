import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** The installed aws-cdk-lib's minor version: the construct tests also run on the peer floor (.ci/floor-test.sh). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CDK_MINOR = Number((require('aws-cdk-lib/package.json') as { version: string }).version.split('.')[1]);

export function newStack(props: StackProps = {}): Stack {
  return new Stack(new App(), 'TestStack', props);
}

/**
 * The template with asset hashes masked, so a snapshot changes with the resources and their
 * properties, not with every rebuild of the handler bundle.
 */
export function maskedTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip)?/g, '[ASSET HASH]'));
}

/** A fresh app with one stack, filled by `build`: each call is an independent synth. */
export function snapshotStack(build: (stack: Stack) => void): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, 'SnapshotStack');
  build(stack);
  return { app, stack };
}

/** Users keep snapshot tests of their own stacks: the same app must synthesize byte for byte. */
export function synthTwice(build: (stack: Stack) => void): [string, string] {
  const synth = () => JSON.stringify(snapshotStack(build).app.synth().getStackByName('SnapshotStack').template);
  return [synth(), synth()];
}
