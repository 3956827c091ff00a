/**
 * `plan` is read-only by construction: no module its code path imports names a mutating
 * operation (derived the way the least-privilege test derives the handler's actions), and it
 * shares the handler's planner rather than copying it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { actionsReachableFrom } from '../handler-actions';

const SRC = path.join(__dirname, '..', '..', '..', 'src', 'private');
const CLI = path.join(SRC, 'plan', 'plan.cli.ts');
const READ = /^[a-z0-9-]+:(List|Get|Describe|BatchGet)\w+$/;

test('every SDK operation reachable from the plan command is a List, Get, BatchGet or Describe', () => {
  const actions = [...actionsReachableFrom(CLI)].sort();
  expect(actions.filter((action) => !READ.test(action))).toEqual([]);
  // What the policy for plan in docs/plan.md grants, exactly.
  expect(actions).toEqual([
    'cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:ListStackResources',
    'detective:GetMembers', 'detective:ListGraphs', 'detective:ListMembers',
    'guardduty:GetMemberDetectors', 'guardduty:GetMembers', 'guardduty:ListDetectors', 'guardduty:ListMembers',
    'inspector2:BatchGetAccountStatus', 'inspector2:GetMember', 'inspector2:ListMembers',
    'macie2:GetMember', 'macie2:ListMembers',
    'organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren',
    'securityhub:DescribeHub', 'securityhub:GetMembers', 'securityhub:ListMembers',
    'ssm:GetParameter', 'ssm:GetParametersByPath',
    'sts:GetCallerIdentity',
  ]);
});

test('the derivation does see mutating operations: the handler\'s path has them', () => {
  const handler = actionsReachableFrom(path.join(SRC, 'reconcile.lambda.ts'));
  expect([...handler].filter((action) => !READ.test(action)).length).toBeGreaterThan(5);
});

test('docs/plan.md lists exactly these actions in the policy for plan', () => {
  const page = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'plan.md'), 'utf8');
  const section = page.slice(page.indexOf('## Permissions'));
  const policy = /```json\n([\s\S]*?)```/.exec(section)![1];
  const statements = (JSON.parse(policy) as { Statement: { Action: string[] }[] }).Statement;
  expect(statements.flatMap((s) => s.Action).sort()).toEqual([...actionsReachableFrom(CLI)].sort());
});

test('plan and the handler share one planner: no plan module defines its own member rules', () => {
  const planFiles = fs.readdirSync(path.join(SRC, 'plan')).map((f) => fs.readFileSync(path.join(SRC, 'plan', f), 'utf8'));
  const preview = ['preview.ts', 'target-plan.ts'].map((f) => fs.readFileSync(path.join(SRC, 'plan', f), 'utf8')).join('\n');
  for (const shared of ['planMembers', 'removalGuardReason', 'quotaReason', 'accountsHeldElsewhere', 'unionDeclaration', 'parseDeclaration']) {
    expect(preview).toContain(shared);
    // Used, not redefined.
    expect(planFiles.some((text) => new RegExp(`function ${shared}\\b`).test(text))).toBe(false);
  }
});
