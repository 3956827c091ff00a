/**
 * The member services' read-only parts, one line each (see `registry.ts` for the handler's
 * full services). `plan` imports this list, so its code path holds no mutating operation.
 */
import { detectiveReader } from './detective/reader';
import { guardDutyReader } from './guardduty/reader';
import { inspectorReader } from './inspector/reader';
import { macieReader } from './macie/reader';
import { MemberReader } from './member-service';
import { securityHubReader } from './securityhub/reader';

export const MEMBER_READERS: readonly MemberReader[] = [
  guardDutyReader,
  detectiveReader,
  securityHubReader,
  inspectorReader,
  macieReader,
];
