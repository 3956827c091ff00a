/**
 * Integration-test snapshots, checked without AWS. Each `test/integ/integ.*.ts` app (an
 * `@aws-cdk/integ-tests-alpha` IntegTest: the test stack plus its assertion stack) is
 * synthesized as the CDK CLI would run it, and every template must match the committed
 * snapshot, asset hashes and the assertions' time salt masked. Refresh against a real account: docs/development.md, "Maintainers".
 *
 * integ-runner itself cannot do this comparison here: its newest release (2.197.10) reads
 * cloud-assembly schema 53, and aws-cdk-lib 2.276 writes 55.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const INTEG_DIR = path.join(__dirname, 'integ');
const apps = fs.readdirSync(INTEG_DIR).filter((f) => /^integ\..+\.ts$/.test(f)).sort();

function synthesize(app: string): Record<string, unknown> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-'));
  try {
    execFileSync(process.execPath, [require.resolve('tsx/cli'), path.join(INTEG_DIR, app)], {
      env: { ...process.env, CDK_OUTDIR: outdir },
      stdio: 'pipe',
    });
    const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).sort();
    return Object.fromEntries(templates.map((t) => [
      t,
      JSON.parse(fs.readFileSync(path.join(outdir, t), 'utf8')
        .replace(/[0-9a-f]{64}(\.zip)?/g, '[ASSET HASH]')
        // Assertions carry the synth time as a salt, so that they run on every deployment.
        .replace(/"salt": ?"\d+"/g, '"salt": "[SALT]"')),
    ]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

test('there is an integration test per construct', () => {
  expect(apps).toEqual(['integ.detective-graph-members.ts', 'integ.guardduty-members.ts', 'integ.security-hub-members.ts']);
});

test.each(apps)('%s: test and assertion stacks match the snapshot', (app) => {
  const templates = synthesize(app);
  // The test stack and the assertion stack, whose custom resource calls GetMembers after deploy.
  const service = app.includes('guardduty') ? 'GuardDuty' : app.includes('security-hub') ? 'SecurityHub' : 'Detective';
  expect(Object.keys(templates)).toHaveLength(2);
  expect(JSON.stringify(templates)).toContain(`"Type":"Custom::DeployAssert@SdkCall${service}getMembers"`);
  expect(templates).toMatchSnapshot();
}, 60_000);
