/**
 * The jsii languages' examples read as their language: the tablet's Python imports are tidied
 * (build-tools/tidy-python-examples.ts), and CI's checker (.ci/python-syntax.py) fails on what
 * the release's Python docs used to carry: TypeScript, TypeScript comments, repeated imports,
 * translations of non-compiling examples, no Python snapshot helper.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tidyPythonImports, tidyTablet } from '../build-tools/tidy-python-examples';

const CHECKER = path.join(__dirname, '..', '.ci', 'python-syntax.py');

describe('tidyPythonImports', () => {
  test('one line per module, where the example\'s own was, each name once, sorted; other lines as they were', () => {
    const rosetta = [
      'from cdk_security_members import MemberAccount, MemberAccount',
      'from aws_cdk import RemovalPolicy',
      'import aws_cdk.aws_ec2 as ec2',
      'from cdk_security_members import SecurityHubMembers, GuardDutyMembers, MemberAccount',
      '',
      '# a comment',
      'hub = SecurityHubMembers(self, "Hub", members=[MemberAccount(account_id="222222222222", email="a@example.com")])',
    ].join('\n');
    expect(tidyPythonImports(rosetta)).toBe([
      'from aws_cdk import RemovalPolicy',
      'import aws_cdk.aws_ec2 as ec2',
      'from cdk_security_members import GuardDutyMembers, MemberAccount, SecurityHubMembers',
      '',
      '# a comment',
      'hub = SecurityHubMembers(self, "Hub", members=[MemberAccount(account_id="222222222222", email="a@example.com")])',
    ].join('\n'));
  });

  test('tidy code is left as it is', () => {
    const tidy = 'from aws_cdk import Duration\nfrom cdk_security_members import GuardDutyMembers\n\nGuardDutyMembers(self, "G")';
    expect(tidyPythonImports(tidy)).toBe(tidy);
  });

  test('tidyTablet rewrites the Python translations only', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tablet-')), '.jsii.tabl.json');
    const java = 'import io.github.cdksecuritymembers.MemberAccount;\nimport io.github.cdksecuritymembers.MemberAccount;';
    fs.writeFileSync(file, JSON.stringify({
      version: '2',
      snippets: {
        a: { translations: { python: { source: 'from m import A, A\nx = A()' }, java: { source: java } } },
        b: { translations: { python: { source: 'from m import A\nx = A()' } } },
      },
    }));
    expect(tidyTablet(file)).toBe(1);
    const tablet = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(tablet.snippets.a.translations.python.source).toBe('from m import A\nx = A()');
    expect(tablet.snippets.a.translations.java.source).toBe(java);
    expect(tablet.version).toBe('2');
  });
});

describe('.ci/python-syntax.py', () => {
  /** A jsii-pacmak --code-only output with `examples` as README blocks, and the README given. */
  function bindings(examples: string[], readme = '```python\ndef masked_template(stack):\n    return stack\n```\n'): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pacmak-'));
    const pkg = path.join(root, 'python', 'src', 'cdk_security_members');
    fs.mkdirSync(pkg, { recursive: true });
    const docstring = examples.map((e) => `\`\`\`python\n${e}\n\`\`\``).join('\n\n');
    fs.writeFileSync(path.join(pkg, '__init__.py'), `'''\n${docstring}\n'''\nimport json\n`);
    fs.writeFileSync(path.join(root, 'python', 'README.md'), readme);
    return root;
  }
  const check = (dir: string) => {
    const run = spawnSync('python3', [CHECKER, dir], { encoding: 'utf8' });
    return { code: run.status, out: `${run.stdout}${run.stderr}` };
  };

  test('idiomatic examples and the Python snapshot helper pass', () => {
    const result = check(bindings([
      'from aws_cdk import Duration\nfrom cdk_security_members import GuardDutyMembers, MemberAccount\n\n# prose\nGuardDutyMembers(self, "G", members=[MemberAccount(account_id="2", email="a@b.c")])',
    ]));
    expect(result).toEqual({ code: 0, out: '1 Python files compiled, 1 examples checked\n' });
  });

  test.each([
    ['TypeScript', "import { GuardDutyMembers } from 'cdk-security-members';\nnew GuardDutyMembers(this, 'G');", /still TypeScript/],
    ['a TypeScript comment', 'x = 1  # the default // found at deploy time', /a TypeScript comment: # the default \/\/ found at deploy time/],
    ['commented-out TypeScript', "# detectorId: 'abc123...',\nx = 1", /a TypeScript comment: # detectorId: 'abc123\.\.\.',/],
    ['a name imported twice', 'from cdk_security_members import MemberAccount, MemberAccount\nx = 1', /imports MemberAccount twice in one line/],
    ['one module on two lines', 'from cdk_security_members import MemberAccount\nfrom cdk_security_members import GuardDutyMembers\nx = 1', /imports from cdk_security_members on two lines/],
    ['a non-compiling translation', '# Example automatically generated from non-compiling source. May contain errors.\nx = 1', /translated from an example that does not compile/],
    ['a syntax error', 'x = (', /example 1: .*at line 1/],
  ])('%s fails the check, naming it', (_name, example, problem) => {
    const result = check(bindings([example]));
    expect(result.code).toBe(1);
    expect(result.out).toMatch(problem);
  });

  test('a README without the Python snapshot helper fails the check', () => {
    const result = check(bindings(['x = 1'], '```tsx\nexport function maskedTemplate() {}\n```\n'));
    expect(result.code).toBe(1);
    expect(result.out).toContain('no Python snapshot helper (def masked_template)');
  });
});
