/**
 * Emails of members that their service reads back without one (Macie: accounts associated
 * through AWS Organizations), for the journal. An undo or a rollback that brings such a member
 * back creates it again, and the service's create call needs an email: the journal keeps the one
 * the declarations gave it. Taken from the declaration now, the previous properties, the claim's
 * static members and, for accounts its organizational units declared, Organizations again (the
 * units, then, for an account that has left them since, the whole organization).
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { RunContext, resolveUnits } from './context';
import { readDeclaredMembers } from '../declaration';
import { describeError } from '../engine';
import { organizationEmails } from '../organizations';
import { MemberDeclaration, ReconcileProperties } from '../properties';
import { PriorState } from '../restore-plan';

/** The accounts of `prior` that were members with no recorded email, with the email their declaration gave them. */
export async function unrecordedEmails(run: RunContext, prior: ReadonlyMap<string, PriorState>, desired: readonly MemberDeclaration[],
  oldProps?: ReconcileProperties): Promise<Map<string, string>> {
  const emails = new Map<string, string>();
  if (run.service.statuses.emailless) return emails;
  const missing = new Set([...prior].filter(([, state]) => state !== undefined && !state.email).map(([id]) => id));
  const take = (members: Iterable<MemberDeclaration>) => {
    for (const { accountId, email } of members) {
      if (email && missing.delete(accountId)) emails.set(accountId, email);
    }
  };
  take(desired);
  take(readDeclaredMembers(oldProps));
  const claim = run.own?.record;
  if (missing.size > 0 && claim?.declarationRecord) {
    const secret = await run.ledger.loadDeclaration(claim.declarationRecord);
    take((secret?.members ?? []).map(([accountId, email]) => ({ accountId, email })));
  }
  const units = claim?.declaration.organizationalUnits ?? oldProps?.OrganizationalUnits ?? [];
  if (missing.size > 0 && units.length > 0) {
    try {
      take([...(await resolveUnits(run, units)).accounts].map(([accountId, email]) => ({ accountId, email })));
      if (missing.size > 0) take([...await organizationEmails(run.clients(OrganizationsClient))].map(([accountId, email]) => ({ accountId, email })));
    } catch (err) {
      run.log.warn('Organizations could not be read for the emails of members recorded without one', { error: describeError(err) });
    }
  }
  if (missing.size > 0) {
    run.log.warn('members recorded without an email and declared with none known: an undo cannot bring them back', { accounts: [...missing] });
  }
  return emails;
}
