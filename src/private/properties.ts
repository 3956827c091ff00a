/**
 * The custom resource's property names and member encoding, shared by the constructs (which
 * write them) and the handler (which reads them). No CDK or SDK imports: the handler bundle
 * includes this file.
 */
import { inflateSync } from 'zlib';

/** A member account as the handler sees it. */
export interface MemberDeclaration {
  readonly accountId: string;
  readonly email: string;
}

/** Properties of every member resource type, as CloudFormation delivers them (strings). */
export interface ReconcileProperties {
  /** A service's definition name (`services/registry.ts`). */
  readonly Service: string;
  /** GuardDuty: administrator detector; absent means discover with ListDetectors. */
  readonly DetectorId?: string;
  /** Detective: behavior graph; absent means discover with ListGraphs. */
  readonly GraphArn?: string;
  /** Declared members, each `accountId:email`, sorted by account ID (the readable form). */
  readonly Members?: string[];
  /**
   * The same entries when the readable form is too large for a custom-resource request:
   * base64 of zlib (RFC 1950) over the entries joined by newlines. See {@link MEMBERS_BUDGET_BYTES}.
   */
  readonly MembersCompressed?: string;
  /** Number of entries in `MembersCompressed`: shown by `cdk diff`, checked on decoding. */
  readonly MemberCount?: string | number;
  readonly Invite?: string | boolean;
  /** GuardDuty invitation message / Detective CreateMembers message. */
  readonly Message?: string;
  readonly DisableEmailNotification?: string | boolean;
  readonly MemberRemoval?: string;
  readonly FailOnUnprocessed?: string | boolean;
  /** `2` since the ownership ledger; absent on resources deployed by earlier versions. */
  readonly Schema?: string;
  /** `DESTROY` (default) or `RETAIN`: what deleting the resource does to its members. */
  readonly RemovalPolicy?: string;
  /** Most accounts one deployment may remove; absent: the default guard. */
  readonly MaxRemovals?: string | number;
  /** What the other constructs of this stack declare on this service, known from synth time. */
  readonly Siblings?: SiblingDeclarations;
  /** OU and root IDs: every ACTIVE account below each (recursively) is declared. Absent: none. */
  readonly OrganizationalUnits?: string[];
  /** Account IDs never declared through `OrganizationalUnits`. */
  readonly ExcludeAccounts?: string[];
  /** GuardDuty: the protection plans of every declared member (`services/guardduty/plans.ts`). Absent: none managed. */
  readonly ProtectionPlans?: unknown[];
  /** Inspector: the scan types enabled in every member (`services/inspector/scan-types.ts`). Absent: none managed. */
  readonly ScanTypes?: string[];
}

/** The declarations of the stack's other constructs of the same service (their emails aside). */
export interface SiblingDeclarations {
  /** Account codec (ledger/codec.ts): their static members. */
  readonly Accounts?: string;
  /** Their organizational units and roots, one entry per construct with its exclusions. */
  readonly Units?: SiblingUnits[];
}

/** One sibling construct's organizational units and the accounts it excludes from them. */
export interface SiblingUnits {
  readonly OrganizationalUnits: string[];
  readonly ExcludeAccounts?: string[];
}

/** The properties' schema since the ownership ledger. */
export const SCHEMA_VERSION = '2';

/** The sync failure metric (`metricSyncFailures()`): the handler publishes it, the provider grants it. */
export const SYNC_METRIC_NAMESPACE = 'CdkSecurityMembers';
export const SYNC_FAILURES_METRIC = 'SyncFailures';

const MEMBER_SEPARATOR = ':';

/** `accountId:email`: compact (large declarations) and readable in `cdk diff`. */
export function encodeMember(member: MemberDeclaration): string {
  return `${member.accountId}${MEMBER_SEPARATOR}${member.email}`;
}

/** Inverse of {@link encodeMember}; the account ID never contains the separator. */
export function decodeMember(encoded: string, index: number): MemberDeclaration {
  const at = typeof encoded === 'string' ? encoded.indexOf(MEMBER_SEPARATOR) : -1;
  if (at < 0) {
    throw new Error(`Members[${index}] is not of the form accountId${MEMBER_SEPARATOR}email`);
  }
  return { accountId: encoded.slice(0, at), email: encoded.slice(at + 1) };
}

/**
 * Bytes one side (old or new) of the members may take in a custom-resource request.
 * CloudFormation invokes the provider asynchronously with the old and the new properties in one
 * event, and Lambda's asynchronous payload limit has long been 256 KiB: two sides of 120 KiB
 * leave 16 KiB for the other properties and the event's own fields.
 */
export const MEMBERS_BUDGET_BYTES = 120 * 1024;

/** How the members travel in the custom resource's properties (either encoding). */
export type MemberProperties = Pick<ReconcileProperties, 'Members' | 'MembersCompressed' | 'MemberCount'>;

/** The text that `MembersCompressed` compresses: one `accountId:email` entry per line. */
export function joinMemberEntries(entries: string[]): string {
  return entries.join('\n');
}

/**
 * The declared entries of either encoding, in order. Throws when `MembersCompressed` does not
 * decompress or does not hold `MemberCount` entries.
 */
export function memberEntries(props: MemberProperties | undefined): string[] {
  if (props?.MembersCompressed === undefined) {
    return props?.Members ?? [];
  }
  let text: string;
  try {
    text = inflateSync(Buffer.from(props.MembersCompressed, 'base64')).toString('utf8');
  } catch (err) {
    throw new Error(`MembersCompressed does not decompress (${(err as Error).message})`);
  }
  const entries = text === '' ? [] : text.split('\n');
  if (props.MemberCount !== undefined && String(entries.length) !== String(props.MemberCount)) {
    throw new Error(`MembersCompressed holds ${entries.length} entries, but MemberCount is ${props.MemberCount}`);
  }
  return entries;
}

/** CloudFormation stringifies booleans; accept both forms. */
export function parseBoolean(value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') {
    return fallback;
  }
  if (value === true || value === 'true') {
    return true;
  }
  if (value === false || value === 'false') {
    return false;
  }
  throw new Error(`expected 'true' or 'false', got '${String(value)}'`);
}

export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** AWS Organizations' own patterns for an OU ID and a root ID. */
export const OU_ID_PATTERN = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
/** Both services' own rule: something, an @, something. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
export const EMAIL_MAX_LENGTH = 64;

/**
 * The handler's environment variable naming the services whose member settings actions its
 * role has (members-provider.ts sets it when a construct declares settings).
 */
export const SETTINGS_ENVIRONMENT = 'CDK_SECURITY_MEMBERS_SETTINGS';
