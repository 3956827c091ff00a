import { formatFailureReason, redactEmails, REASON_BUDGET_BYTES } from '../../src/private/report';

test('email addresses are redacted from service texts', () => {
  expect(redactEmails('invite to root@example.com failed; "ops+sec@corp.example" too')).toBe('invite to <email> failed; "<email>" too');
});

test('accounts are grouped by operation and reason, biggest group first', () => {
  const reason = formatFailureReason([
    { operation: 'InviteMembers', accountId: '111111111111', reason: 'A' },
    { operation: 'CreateMembers', accountId: '222222222222', reason: 'B' },
    { operation: 'CreateMembers', accountId: '333333333333', reason: 'B' },
  ], { service: 'GuardDuty', headline: '3 accounts failed', epilogue: 'Undone.' });
  expect(reason).toBe('GuardDuty: 3 accounts failed. CreateMembers, 2 accounts: "B" (222222222222, 333333333333); InviteMembers, 1 account: "A" (111111111111); Undone.');
});

test('the byte budget holds with multi-byte reasons and long texts', () => {
  const problems = Array.from({ length: 500 }, (_, i) => ({
    operation: 'CreateMembers',
    accountId: String(100000000000 + i),
    reason: `Übermäßig lange Begründung ${'ü'.repeat(400)} #${i % 40}`,
  }));
  const reason = formatFailureReason(problems, { service: 'Detective', headline: '500 failed', epilogue: 'e'.repeat(200) });
  expect(Buffer.byteLength(reason, 'utf8')).toBeLessThanOrEqual(REASON_BUDGET_BYTES);
  expect(reason).toMatch(/not named here are in the log/);
  expect(reason.endsWith('e'.repeat(200))).toBe(true);
});

test('an empty reason is named as such', () => {
  expect(formatFailureReason([{ operation: 'DeleteMembers', accountId: '111111111111', reason: ' ' }], { service: 'GuardDuty', headline: 'h' }))
    .toBe('GuardDuty: h. DeleteMembers, 1 account: "no reason given" (111111111111);');
});
