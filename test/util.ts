import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

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
