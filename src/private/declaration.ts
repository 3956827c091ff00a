/**
 * The declaration of a member resource, parsed once from its properties (or, for a sync, from
 * its claim) into one typed value that the run passes down. Tokens resolve at deploy time, so
 * everything is validated again before anything changes; a Delete reads leniently and is never
 * blocked by a bad declaration.
 */
import { ReconcileError } from './engine';
import { decodeAccounts, encodeAccounts, fingerprint } from './ledger/codec';
import { UnitDeclaration } from './ledger/held';
import { ClaimRecord, DeclarationSecret } from './ledger/records';
import { RemovalMode } from './planner';
import {
  ACCOUNT_ID_PATTERN,
  decodeMember,
  EMAIL_MAX_LENGTH,
  EMAIL_PATTERN,
  MemberDeclaration,
  memberEntries,
  OU_ID_PATTERN,
  parseBoolean,
  ReconcileProperties,
  ROOT_ID_PATTERN,
  SCHEMA_VERSION,
  SiblingDeclarations,
} from './properties';
import type { MemberReader, MemberService } from './services/member-service';

export type RemovalPolicyName = 'DESTROY' | 'RETAIN';

/** A resource's declaration, with the service `S` it names (the handler's full service by default). */
export interface Declaration<S extends MemberReader = MemberService> {
  readonly service: S;
  /** Static members, validated (strict) or as far as they decode (lenient). */
  readonly members: MemberDeclaration[];
  readonly invite: boolean;
  readonly message?: string;
  readonly disableEmailNotification: boolean;
  readonly removal: RemovalMode;
  readonly failOnUnprocessed: boolean;
  readonly removalPolicy: RemovalPolicyName;
  readonly maxRemovals?: number;
  /** Static members of the stack's other constructs of this service. */
  readonly siblingAccounts: string[];
  /** False for resources deployed by a version before the ledger. */
  readonly ledgerSchema: boolean;
  /** OU and root IDs whose ACTIVE accounts are declared too. */
  readonly organizationalUnits: string[];
  /** Never declared through the organizational units. */
  readonly excludeAccounts: string[];
  /** The organizational units the stack's other constructs of this service declare, each with its exclusions. */
  readonly siblingUnits: UnitDeclaration[];
  /** Of the properties, ServiceToken aside: a rollback brings one fingerprint back to another. */
  readonly fingerprint: string;
  /** Per-account settings every declared member must have (GuardDuty's protection plans); undefined: none managed. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Members of a declaration that was deployed before; invalid entries were never applied. */
export function readDeclaredMembers(props: ReconcileProperties | undefined): MemberDeclaration[] {
  const members: MemberDeclaration[] = [];
  let entries: string[];
  try {
    entries = memberEntries(props);
  } catch {
    return members; // Properties that never decoded were never applied.
  }
  const seen = new Set<string>();
  entries.forEach((encoded, index) => {
    try {
      const member = decodeMember(encoded, index);
      if (ACCOUNT_ID_PATTERN.test(member.accountId) && !seen.has(member.accountId)) {
        seen.add(member.accountId);
        members.push(member);
      }
    } catch {
      // Skipped: an entry that never decoded was never created either.
    }
  });
  return members;
}

/** The service the `Service` property names, among `services` (the handler's registry, or `plan`'s readers). */
export function readService<S extends MemberReader>(props: ReconcileProperties, services: readonly S[]): S {
  const service = services.find((candidate) => candidate.definition.name === props.Service);
  if (!service) {
    const known = services.map((s) => s.definition.name).join(', ');
    throw new ReconcileError(`Service: expected one of ${known}, got '${String(props.Service)}'`);
  }
  return service;
}

/** Parses the properties: `strict` validates everything (Create, Update), else reads what decodes (Delete). */
export function parseDeclaration<S extends MemberReader>(props: ReconcileProperties, adminAccount: string | undefined, strict: boolean,
  services: readonly S[]): Declaration<S> {
  const service = readService(props, services);
  const fail = (message: string) => {
    throw new ReconcileError(message);
  };
  const flag = (name: keyof ReconcileProperties, fallback: boolean) => {
    try {
      return parseBoolean(props[name] as string | boolean | undefined, fallback);
    } catch (err) {
      return strict ? fail(`${name}: ${(err as Error).message}`) : fallback;
    }
  };
  const removalProp = props.MemberRemoval ?? 'DELETE';
  let removal: RemovalMode = 'DELETE';
  if (removalProp === 'DELETE' || removalProp === 'DISASSOCIATE') {
    removal = removalProp;
  } else if (strict) {
    fail(`MemberRemoval: expected DELETE or DISASSOCIATE, got '${removalProp}'`);
  }
  const policyProp = props.RemovalPolicy ?? 'DESTROY';
  let removalPolicy: RemovalPolicyName = 'DESTROY';
  if (policyProp === 'DESTROY' || policyProp === 'RETAIN') {
    removalPolicy = policyProp;
  } else if (strict) {
    fail(`RemovalPolicy: expected DESTROY or RETAIN, got '${policyProp}'`);
  } else {
    // A Delete with an unreadable policy keeps the members: removing is the step that cannot be undone.
    removalPolicy = 'RETAIN';
  }
  let maxRemovals: number | undefined;
  if (props.MaxRemovals !== undefined && props.MaxRemovals !== '') {
    maxRemovals = Number(props.MaxRemovals);
    if (!Number.isInteger(maxRemovals) || maxRemovals < 0) {
      if (strict) fail(`MaxRemovals: expected a non-negative integer, got '${String(props.MaxRemovals)}'`);
      maxRemovals = 0;
    }
  }
  const message = props.Message || undefined;
  const maxMessage = service.definition.messageMaxLength;
  if (strict && message !== undefined && maxMessage !== undefined && message.length > maxMessage) {
    fail(`Message: ${message.length} characters, more than the ${maxMessage} ${service.definition.name} takes`);
  }
  return {
    service,
    members: strict ? strictMembers(props, adminAccount, service.statuses.emailless === true) : readDeclaredMembers(props),
    invite: flag('Invite', true),
    message,
    disableEmailNotification: flag('DisableEmailNotification', false),
    removal,
    failOnUnprocessed: flag('FailOnUnprocessed', true),
    removalPolicy,
    maxRemovals,
    siblingAccounts: readSiblings(props, strict),
    ledgerSchema: props.Schema === SCHEMA_VERSION,
    ...readOrganizationSources(props, strict),
    fingerprint: fingerprint(props),
    settings: service.readSettings?.(props, strict),
  };
}

function readOrganizationSources(props: ReconcileProperties, strict: boolean): Pick<Declaration<MemberReader>, 'organizationalUnits' | 'excludeAccounts' | 'siblingUnits'> {
  const list = (name: 'OrganizationalUnits' | 'ExcludeAccounts', value: unknown, valid: (item: string) => boolean, what: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      if (strict) throw new ReconcileError(`${name}: expected a list, got '${String(value)}'`);
      return [];
    }
    const seen = new Set<string>();
    return value.filter((item, index) => {
      const ok = typeof item === 'string' && valid(item) && !seen.has(item);
      if (!ok && strict) {
        throw new ReconcileError(seen.has(item) ? `${name}[${index}]: '${item}' is listed twice` : `${name}[${index}]: '${String(item)}' is not ${what}`);
      }
      seen.add(item);
      return ok;
    });
  };
  const unit = (id: string) => OU_ID_PATTERN.test(id) || ROOT_ID_PATTERN.test(id);
  const organizationalUnits = list('OrganizationalUnits', props.OrganizationalUnits, unit, 'an OU ID (ou-...) or a root ID (r-...)');
  const excludeAccounts = list('ExcludeAccounts', props.ExcludeAccounts, (id) => ACCOUNT_ID_PATTERN.test(id), 'a 12-digit account ID');
  return { organizationalUnits, excludeAccounts, siblingUnits: readSiblingUnits(props.Siblings, unit) };
}

/** Lenient always: a sibling's declaration is validated by its own resource. */
function readSiblingUnits(siblings: SiblingDeclarations | undefined, unit: (id: string) => boolean): UnitDeclaration[] {
  const ids = (value: unknown, valid: (id: string) => boolean) =>
    (Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string' && valid(id)) : []);
  const declarations = Array.isArray(siblings?.Units) ? siblings!.Units : [];
  return declarations
    .map((d) => ({ units: ids(d?.OrganizationalUnits, unit), exclude: ids(d?.ExcludeAccounts, (id) => ACCOUNT_ID_PATTERN.test(id)) }))
    .filter((d) => d.units.length > 0);
}

/**
 * The declaration a claim records (with its static members' emails): what a sync deploys again,
 * siblings included. Its fingerprint is the deployed properties'.
 */
export function declarationOfClaim(service: MemberService, claim: ClaimRecord, secret: DeclarationSecret | undefined): Declaration {
  const declared = claim.declaration;
  return {
    service,
    members: (secret?.members ?? []).map(([accountId, email]) => ({ accountId, email })),
    invite: declared.invite,
    message: secret?.message,
    disableEmailNotification: declared.disableEmailNotification,
    removal: declared.memberRemoval === 'DISASSOCIATE' ? 'DISASSOCIATE' : 'DELETE',
    failOnUnprocessed: declared.failOnUnprocessed,
    removalPolicy: declared.removalPolicy === 'RETAIN' ? 'RETAIN' : 'DESTROY',
    maxRemovals: declared.maxRemovals,
    siblingAccounts: decodeAccounts(declared.siblingAccounts),
    ledgerSchema: true,
    organizationalUnits: [...declared.organizationalUnits],
    excludeAccounts: [...declared.excludeAccounts],
    siblingUnits: (declared.siblingUnits ?? []).map((d) => ({ units: [...d.units], exclude: [...d.exclude] })),
    fingerprint: claim.fingerprint,
    settings: declared.settings,
  };
}

/** The declaration as a claim records it (emails aside): what a later sync needs to deploy it again. */
export function declaredSettings(declaration: Declaration): ClaimRecord['declaration'] {
  return {
    organizationalUnits: declaration.organizationalUnits,
    excludeAccounts: declaration.excludeAccounts,
    invite: declaration.invite,
    memberRemoval: declaration.removal,
    failOnUnprocessed: declaration.failOnUnprocessed,
    disableEmailNotification: declaration.disableEmailNotification,
    removalPolicy: declaration.removalPolicy,
    maxRemovals: declaration.maxRemovals,
    siblingAccounts: declaration.siblingAccounts.length > 0 ? encodeAccounts(declaration.siblingAccounts) : undefined,
    siblingUnits: declaration.siblingUnits.length > 0 ? declaration.siblingUnits : undefined,
    settings: declaration.settings,
  };
}

function readSiblings(props: ReconcileProperties, strict: boolean): string[] {
  try {
    return decodeAccounts(props.Siblings?.Accounts);
  } catch (err) {
    if (strict) throw new ReconcileError(`Siblings: ${(err as Error).message}`);
    return [];
  }
}

/** `emailless`: the service names members by account ID alone (an entry `accountId:` with no email). */
function strictMembers(props: ReconcileProperties, adminAccount: string | undefined, emailless: boolean): MemberDeclaration[] {
  const excluded = new Set(Array.isArray(props.ExcludeAccounts) ? props.ExcludeAccounts : []);
  let entries: string[];
  try {
    entries = memberEntries(props);
  } catch (err) {
    throw new ReconcileError((err as Error).message);
  }
  const seen = new Set<string>();
  return entries.map((encoded, index) => {
    let member: MemberDeclaration;
    try {
      member = decodeMember(encoded, index);
    } catch (err) {
      throw new ReconcileError((err as Error).message);
    }
    if (!ACCOUNT_ID_PATTERN.test(member.accountId)) {
      throw new ReconcileError(`Members[${index}]: account ID '${member.accountId}' is not 12 digits`);
    }
    if (!(emailless && member.email === '') && (!EMAIL_PATTERN.test(member.email) || member.email.length > EMAIL_MAX_LENGTH)) {
      throw new ReconcileError(`Members[${index}]: the email of account ${member.accountId} is not an address of at most ${EMAIL_MAX_LENGTH} characters`);
    }
    if (seen.has(member.accountId)) {
      throw new ReconcileError(`Members[${index}]: account ${member.accountId} is declared twice`);
    }
    if (excluded.has(member.accountId)) {
      throw new ReconcileError(`Members[${index}]: account ${member.accountId} is also in ExcludeAccounts`);
    }
    if (member.accountId === adminAccount) {
      throw new ReconcileError(`Members[${index}]: account ${member.accountId} is the administrator account itself`);
    }
    seen.add(member.accountId);
    return member;
  });
}
