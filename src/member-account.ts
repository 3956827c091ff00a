/**
 * An AWS account to make a member of the administrator's detector or behavior graph.
 *
 * @exampleMetadata fixture=members
 * @example
 * const member: MemberAccount = { accountId: '222222222222', email: 'aws-workloads@example.com' };
 */
export interface MemberAccount {
  /**
   * The member account's 12-digit ID.
   */
  readonly accountId: string;

  /**
   * The member account's root user email address. An invitation to any other address fails
   * email verification.
   */
  readonly email: string;
}
