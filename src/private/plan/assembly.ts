/**
 * The member resources of a synthesized cloud assembly (`cdk.out`): every stack of the
 * manifest, stages included, and in each template the resources of the member services' types.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DeclaredResource } from './preview';
import { ReconcileProperties } from '../properties';

/** A stack of the assembly and where it deploys. */
export interface AssemblyStack {
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** The artifact ID (`cdk deploy`'s name for it; for a stage's stack, with the stage path). */
  readonly displayName: string;
  /** The account, when the stack is bound to one (not `unknown-account`). */
  readonly account?: string;
  readonly region?: string;
  readonly resources: DeclaredResource[];
}

interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly environment?: string;
    readonly displayName?: string;
    readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  }>;
}

type Template = { Resources?: Record<string, { Type?: string; Properties?: ReconcileProperties; Metadata?: Record<string, unknown> }> };

/** An error in the user's input (the assembly or the options): exit code 1 with the message, no stack trace. */
export class PlanInputError extends Error {}

/** The stacks of the assembly in `dir` holding resources of `resourceTypes`, in manifest order. */
export function readAssembly(dir: string, resourceTypes: ReadonlySet<string>): AssemblyStack[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new PlanInputError(`--app: ${dir} holds no cloud assembly (no manifest.json). Run \`npx cdk synth\` first, or pass --app <cdk.out directory>.`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      // A stage: its stacks live in a nested assembly.
      stacks.push(...readAssembly(path.join(dir, artifact.properties.directoryName), resourceTypes));
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) {
      continue;
    }
    const stackName = artifact.properties.stackName ?? id;
    const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')) as Template;
    const stackResourceTypes = Object.fromEntries(Object.entries(template.Resources ?? {}).map(([logicalId, resource]) => [logicalId, resource.Type ?? '']));
    const resources = Object.entries(template.Resources ?? {})
      .filter(([, resource]) => resource.Type !== undefined && resourceTypes.has(resource.Type))
      .map(([logicalId, resource]) => ({
        stackName,
        logicalId,
        constructPath: typeof resource.Metadata?.['aws:cdk:path'] === 'string' ? resource.Metadata['aws:cdk:path'] as string : undefined,
        properties: resource.Properties ?? {} as ReconcileProperties,
        stackResourceTypes,
      }));
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
    stacks.push({
      stackName,
      displayName: artifact.displayName ?? id,
      account: account && /^\d{12}$/.test(account) ? account : undefined,
      region: region && region !== 'unknown-region' ? region : undefined,
      resources,
    });
  }
  return stacks;
}

/** The stacks `names` select (by stack name or display name); all when none are given. */
export function selectStacks(stacks: readonly AssemblyStack[], names: readonly string[]): AssemblyStack[] {
  if (names.length === 0) {
    return [...stacks];
  }
  const unknown = names.filter((name) => !stacks.some((s) => s.stackName === name || s.displayName === name));
  if (unknown.length > 0) {
    throw new PlanInputError(`--stack: no stack named ${unknown.map((n) => `'${n}'`).join(', ')} in the assembly ` +
      `(stacks: ${stacks.map((s) => s.stackName).join(', ') || 'none'})`);
  }
  return stacks.filter((s) => names.includes(s.stackName) || names.includes(s.displayName));
}
