/**
 * What the handler needs of one member service: its definition, how its members behave, its
 * SDK adapter and how it finds its target. One implementation per service folder, listed in
 * `registry.ts`; the handler, engine and planner see only this interface.
 */
import { MemberApi, ReconcileError, SettingsReads } from '../engine';
import { MemberStatusModel } from '../planner';
import { ReconcileProperties } from '../properties';
import { ServiceDefinition } from './service-definition';

/** An SDK client for a client class (its config comes from the handler: retries, endpoint). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK client constructors take each client's own config type
export type ClientFactory = <C>(client: new (config: any) => C) => C;

/** Invitation settings passed through to the service. */
export interface Invitation {
  readonly message?: string;
  readonly disableEmailNotification?: boolean;
}

/** A target's members, read: all a plan needs of the member API. */
export type MemberReads = Pick<MemberApi, 'statuses' | 'pageSize' | 'perAccount' | 'asynchronous' | 'listMembers' | 'getMembers'> & {
  /** Reading the members' settings (GuardDuty's protection plans), when the service has any. */
  readonly settings?: SettingsReads;
};

/**
 * The read-only part of a member service (each folder's `reader.ts`): what `plan` uses, with
 * no mutating operation in its imports.
 */
export interface MemberReader {
  readonly definition: ServiceDefinition;
  readonly statuses: MemberStatusModel;
  /** The target named in the properties (checked again: tokens resolve at deploy time), or discovered. */
  resolveTarget(props: ReconcileProperties, clients: ClientFactory): Promise<string>;
  /** False for physical IDs that cannot be a target (e.g. the Provider framework's marker after a failed create). */
  isTarget(physicalId: string): boolean;
  memberReads(clients: ClientFactory, target: string): MemberReads;
  /**
   * The per-account settings the properties declare (GuardDuty's protection plans), checked when
   * `strict`; undefined when none are managed. Services without settings leave it out.
   */
  readSettings?(props: ReconcileProperties, strict: boolean): Record<string, string> | undefined;
}

/** A member service as the handler uses it: its reads, and the operations that change membership. */
export interface MemberService extends MemberReader {
  memberApi(clients: ClientFactory, target: string, invitation: Invitation): MemberApi;
  /**
   * Whether an error from reading the members means the target no longer exists, told apart
   * from other refusals precisely (the service's exact error, or a read of the target itself).
   */
  targetGone(err: unknown, clients: ClientFactory, target: string): Promise<boolean>;
}

/**
 * The target the properties name (checked again: tokens resolve at deploy time), or the
 * region's one target found with the service's List call.
 */
export async function givenOrDiscovered(definition: ServiceDefinition, given: string | undefined,
  check: { readonly valid: (value: string) => boolean; readonly what: string },
  discovery: { readonly operation: string; readonly list: () => Promise<string[]> }): Promise<string> {
  if (given) {
    if (!check.valid(given)) {
      throw new ReconcileError(`${definition.target.property}: '${given}' is not ${check.what}`);
    }
    return given;
  }
  return discoverOne(definition, discovery.operation, discovery.list);
}

/** The region's one target, found with the service's List call. */
export async function discoverOne(definition: ServiceDefinition, operation: string, list: () => Promise<string[]>): Promise<string> {
  const found = await list();
  if (found.length !== 1) {
    const { noun, prop } = definition.target;
    throw new ReconcileError(`${definition.name}: ${operation} found ${found.length} ${noun}s in ${process.env.AWS_REGION ?? 'this region'}; ` +
      `enable ${definition.name} in the administrator account or pass ${prop}`);
  }
  return found[0];
}

/** The error's name (the SDK sets it to the service's error code). */
export function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}
