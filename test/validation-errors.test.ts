/**
 * Synth-time validation errors look like aws-cdk-lib's own: named ValidationError, the message
 * starting with the construct path, and a stack that shows the caller's code, not this
 * library's (unshipped) sources.
 */
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { DetectiveGraphMembers, GuardDutyMembers, SecurityHubMembers } from '../src';
import { newStack } from './util';

function caught(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a validation error');
}

const SRC = `${path.join(__dirname, '..', 'src')}${path.sep}`;

test.each([
  ['an account ID', (s: Stack) => new GuardDutyMembers(s, 'GuardDuty', { members: [{ accountId: '12345', email: 'a@example.com' }] }), /members\[0\]/],
  ['an OU ID', (s: Stack) => new SecurityHubMembers(s, 'Hub', { organizationalUnits: ['ou-nope'] }), /organizationalUnits\[0\] 'ou-nope'/],
  ['a graph ARN', (s: Stack) => new DetectiveGraphMembers(s, 'Detective', { graphArn: 'arn:aws:detective:us-east-1:1:graph:x' }), /graph/],
  ['maxRemovals', (s: Stack) => new GuardDutyMembers(s, 'GuardDuty', { maxRemovals: -1 }), /maxRemovals -1/],
])('%s: a ValidationError naming the construct path, with the caller\'s frames and none of the library\'s', (_name, build, reason) => {
  const stack = newStack();
  const err = caught(() => build(stack));
  expect(err.name).toBe('ValidationError');
  expect(err.message).toMatch(new RegExp('^TestStack/\\w+: '));
  expect(err.message).toMatch(reason);
  expect((err as Error & { constructPath?: string }).constructPath).toMatch(/^TestStack\/\w+$/);
  const frames = err.stack!.split('\n').filter((line) => line.trim().startsWith('at '));
  expect(frames.filter((frame) => frame.includes(SRC))).toEqual([]);
  expect(frames.some((frame) => frame.includes(__filename))).toBe(true);
  expect(err.stack).toContain(`Relates to construct: ${(err as Error & { constructPath?: string }).constructPath}`);
});
