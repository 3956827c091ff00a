/**
 * References a synthesized template makes to resources of its own stack (`Ref`, and the
 * `Fn::GetAtt` attributes that equal the resource's physical ID), read from the deployed stack
 * with DescribeStackResource: a detector or graph the stack itself creates is known to `plan`
 * once it is deployed. A reference to a resource not deployed yet stays a token.
 */
import { CloudFormationClient, DescribeStackResourceCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';

/** Attributes that are the resource's physical ID (what its `Ref` returns), by resource type. */
const PHYSICAL_ID_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  'AWS::GuardDuty::Detector': ['Id'],
  'AWS::Detective::Graph': ['Arn'],
};

/**
 * Resource states in which the stack holds a live physical resource. Any other (a failed
 * create, a delete, a skipped or rolled-back import) means the next deployment makes a new one.
 */
const LIVE = /^(CREATE_COMPLETE|IMPORT_COMPLETE|UPDATE_.*|ROLLBACK_COMPLETE|DELETE_FAILED)$/;

/** The physical IDs of deployed resources, read once per stack and logical ID. */
export class DeployedResources {
  private readonly read = new Map<string, Promise<string | undefined>>();

  constructor(private readonly cloudFormation: CloudFormationClient) {}

  /**
   * The physical ID of `logicalId` in the deployed stack; undefined when the stack or the
   * resource is not deployed, or is deployed as another type than the template's.
   */
  physicalId(stackName: string, logicalId: string, type: string): Promise<string | undefined> {
    const key = `${stackName}/${logicalId}/${type}`;
    let id = this.read.get(key);
    if (!id) {
      id = this.describe(stackName, logicalId, type);
      this.read.set(key, id);
    }
    return id;
  }

  private async describe(stackName: string, logicalId: string, type: string): Promise<string | undefined> {
    try {
      const request = new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId });
      const { StackResourceDetail: detail } = await this.cloudFormation.send(request);
      const live = detail?.PhysicalResourceId !== undefined && LIVE.test(detail.ResourceStatus ?? '') && detail.ResourceType === type;
      return live ? detail!.PhysicalResourceId : undefined;
    } catch (err) {
      // "Stack 'x' does not exist", "Resource x does not exist for stack y": not deployed yet.
      // Any other answer (a denied permission, a malformed name) is the plan's error.
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) {
        return undefined;
      }
      throw err;
    }
  }

  /**
   * The live resources of the deployed stack named `stackName` (none when it is not deployed):
   * logical ID, type and physical ID.
   */
  async stackResources(stackName: string): Promise<{ logicalId: string; type: string; physicalId?: string }[]> {
    const found: { logicalId: string; type: string; physicalId?: string }[] = [];
    try {
      for await (const page of paginateListStackResources({ client: this.cloudFormation }, { StackName: stackName })) {
        for (const r of page.StackResourceSummaries ?? []) {
          if (r.LogicalResourceId && r.ResourceType && LIVE.test(r.ResourceStatus ?? '')) {
            found.push({ logicalId: r.LogicalResourceId, type: r.ResourceType, physicalId: r.PhysicalResourceId });
          }
        }
      }
    } catch (err) {
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return [];
      throw err;
    }
    return found;
  }

  /** A member resource's properties with its references resolved; its ServiceToken (the provider's, never the target) is not read. */
  async resolveDeclaration<T extends object>(properties: T, stackName: string, types: Readonly<Record<string, string>>): Promise<T> {
    const { ServiceToken: serviceToken, ...declared } = properties as T & { ServiceToken?: unknown };
    const resolved = await this.resolve(declared, stackName, types) as T;
    return serviceToken === undefined ? resolved : { ...resolved, ServiceToken: serviceToken };
  }

  /**
   * `value` with every reference to a deployed resource of the stack replaced by its physical
   * ID. `types` holds every resource of the template (logical ID to type); other tokens
   * (parameters, imports, attributes other than the physical ID) are left as they are.
   */
  async resolve(value: unknown, stackName: string, types: Readonly<Record<string, string>>): Promise<unknown> {
    if (value === null || typeof value !== 'object') {
      return value;
    }
    if (Array.isArray(value)) {
      return Promise.all(value.map((item) => this.resolve(item, stackName, types)));
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const logicalId = keys.length === 1 ? referencedResource(keys[0], record[keys[0]], types) : undefined;
    if (logicalId !== undefined) {
      return await this.physicalId(stackName, logicalId, types[logicalId]) ?? value;
    }
    const entries = await Promise.all(keys.map(async (key) => [key, await this.resolve(record[key], stackName, types)] as const));
    return Object.fromEntries(entries);
  }
}

/** The logical ID a `Ref` or physical-ID `Fn::GetAtt` names, when it is a resource of the template. */
function referencedResource(intrinsic: string, argument: unknown, types: Readonly<Record<string, string>>): string | undefined {
  if (intrinsic === 'Ref') {
    return typeof argument === 'string' && types[argument] !== undefined ? argument : undefined;
  }
  if (intrinsic === 'Fn::GetAtt') {
    const [logicalId, attribute] = Array.isArray(argument) ? argument : typeof argument === 'string' ? argument.split('.') : [];
    const type = typeof logicalId === 'string' ? types[logicalId] : undefined;
    return type !== undefined && PHYSICAL_ID_ATTRIBUTES[type]?.includes(attribute as string) ? logicalId as string : undefined;
  }
  return undefined;
}
