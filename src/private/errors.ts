/**
 * Synth-time validation errors, presented the way aws-cdk-lib's own constructs present theirs:
 * named `ValidationError`, the message starting with the construct's path, and a stack trace
 * that shows the user's code (where the construct was created) but none of this library's
 * frames, whose sources the package does not ship.
 */
import * as path from 'path';
import { IConstruct } from 'constructs';

/** This package's compiled and source directories: frames there are the library's own. */
const OWN_DIRECTORIES = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..', 'src')].map((dir) => `${dir}${path.sep}`);

export class MembersValidationError extends Error {
  /** The path of the construct whose props failed validation. */
  public readonly constructPath: string;

  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'ValidationError';
    this.constructPath = scope.node.path;
    const [, ...frames] = (this.stack ?? '').split('\n');
    const userFrames = frames.filter((frame) => !OWN_DIRECTORIES.some((dir) => frame.includes(dir)));
    this.stack = [`${this.name}: ${this.message}`, ...userFrames, `Relates to construct: ${this.constructPath}`].join('\n');
  }
}
