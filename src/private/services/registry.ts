/**
 * The member services the handler knows, one line each. A service is one folder holding its
 * definition, status model and SDK adapter (see README, Development).
 */
import { detective } from './detective/api';
import { guardDuty } from './guardduty/api';
import { inspector } from './inspector/api';
import { macie } from './macie/api';
import { MemberService } from './member-service';
import { securityHub } from './securityhub/api';

export const MEMBER_SERVICES: readonly MemberService[] = [
  guardDuty,
  detective,
  securityHub,
  inspector,
  macie,
];

/** The service a `Service` property names, or undefined. */
export function memberService(name: unknown): MemberService | undefined {
  return MEMBER_SERVICES.find((service) => service.definition.name === name);
}
