import * as events from 'aws-cdk-lib/aws-events';

/**
 * Members from AWS Organizations, and syncs between deployments: properties every member
 * construct takes.
 */
export interface OrganizationSourceProps {
  /**
   * Organizational units (`ou-...`) or the root (`r-...`): every ACTIVE account anywhere below
   * each, recursively, is declared too, with the email AWS Organizations records for it.
   * Resolved at deploy time and at every sync, with the read-only access a delegated
   * administrator has; the administrator account itself is skipped. Accounts that leave the
   * OUs (moved, suspended, closed, left the organization) are removed at the next deployment
   * or sync, as any account no longer declared.
   *
   * @default - none: only `members`
   */
  readonly organizationalUnits?: string[];

  /**
   * Account IDs never declared through `organizationalUnits`. An account that `members` also
   * declares is an error.
   *
   * @default - none
   */
  readonly excludeAccounts?: string[];

  /**
   * Reconcile again on this schedule, between deployments, with the declaration last deployed:
   * new accounts in the OUs join, members removed or changed by hand are restored, accounts
   * that left the OUs are removed (within `maxRemovals`). A sync never runs while a deployment
   * reconciles the same target; a sync that fails logs its reason and counts in
   * `metricSyncFailures()`, and is not retried until the next scheduled time.
   *
   * @default - on deployment only
   */
  readonly syncSchedule?: events.Schedule;
}
