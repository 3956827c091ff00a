/**
 * Synth-time validation errors, raised as aws-cdk-lib raises its own: `Errors.isValidationError(err)`
 * is true, the error's name is a code (`«InvalidAccountId» members[0].accountId ...`), and
 * `cdk synth` shows the message, the caller's code and the construct tree, not a raw stack.
 *
 * aws-cdk-lib exports its `ValidationError` at `aws-cdk-lib/core/lib/errors` (the module its own
 * alpha packages import it from) from 2.201.0 on, taking `(code, message, scope)` from 2.245.0
 * and `(message, scope)` before. Older versions do not export it: there the library throws
 * an error of its own that carries the same markers `Errors.isValidationError` looks for.
 */
import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** How aws-cdk-lib marks its construct errors, and among them its validation errors. */
const CONSTRUCT_ERROR = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR = Symbol.for('@aws-cdk/core.ValidationError');

/** Makes a validation error: `code` names it (UpperCamelCase, as aws-cdk-lib's codes). */
export type ValidationErrorFactory = (code: string, message: string, scope: IConstruct) => Error;

type ErrorClass = new (...args: unknown[]) => Error;

/** aws-cdk-lib's own ValidationError, when the installed version exports it. */
export function cdkValidationErrorFactory(load: () => unknown = loadErrorsModule): ValidationErrorFactory | undefined {
  let ValidationError: ErrorClass | undefined;
  try {
    ValidationError = (load() as { ValidationError?: ErrorClass } | undefined)?.ValidationError;
  } catch {
    return undefined; // ERR_PACKAGE_PATH_NOT_EXPORTED: a version before the export
  }
  if (typeof ValidationError !== 'function') {
    return undefined;
  }
  // `constructor(name, msg, scope)` from 2.245.0; `constructor(msg, scope)` before.
  const Class = ValidationError;
  return Class.length >= 3
    ? (code, message, scope) => new Class(code, message, scope)
    : (_code, message, scope) => new Class(message, scope);
}

function loadErrorsModule(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: only some aws-cdk-lib versions export it
  return require('aws-cdk-lib/core/lib/errors');
}

/** This package's compiled and source directories: frames there are the library's own. */
const OWN_DIRECTORIES = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..', 'src')].map((dir) => `${dir}${path.sep}`);

/**
 * The error on an aws-cdk-lib without an exported ValidationError: the same markers, the same
 * presentation (the code, the message, the caller's frames and the construct path).
 */
export class MembersValidationError extends Error {
  /** The path of the construct whose props failed validation. */
  public readonly constructPath: string;

  constructor(code: string, message: string, scope: IConstruct) {
    super(message);
    Object.defineProperty(this, CONSTRUCT_ERROR, { value: true });
    Object.defineProperty(this, VALIDATION_ERROR, { value: true });
    this.name = code;
    this.constructPath = scope.node.path;
    const [, ...frames] = (this.stack ?? '').split('\n');
    const userFrames = frames.filter((frame) => !OWN_DIRECTORIES.some((dir) => frame.includes(dir)));
    this.stack = [`«${code}» ${message}`, ...userFrames, 'Relates to construct:', `    ${this.constructPath}`].join('\n');
  }

  /** Validation, as aws-cdk-lib's errors say. */
  public get type(): string {
    return 'validation';
  }
}

const ownFactory: ValidationErrorFactory = (code, message, scope) => new MembersValidationError(code, message, scope);

let factory: ValidationErrorFactory | undefined;

/** A validation error for `scope`'s props, from aws-cdk-lib when it can make one. */
export function validationError(scope: IConstruct, code: string, message: string): Error {
  factory ??= cdkValidationErrorFactory() ?? ownFactory;
  return factory(code, message, scope);
}

/**
 * A value for a message: as written when known, else what CloudFormation resolves it from
 * (`{"Ref":"MemberAccount"}`), never the token's placeholder (`${Token[TOKEN.12]}`).
 */
export function shown(scope: IConstruct, value: unknown, quoted = true): string {
  if (typeof value === 'string' && !Token.isUnresolved(value)) {
    return quoted ? `'${value}'` : value;
  }
  if (typeof value !== 'string' || !Token.isUnresolved(value)) {
    return String(value);
  }
  try {
    return `${JSON.stringify(Stack.of(scope).resolve(value))} (resolved at deploy time)`;
  } catch {
    return 'a value resolved at deploy time';
  }
}
