// What the npm package ships: the compiled library, the bundled handler, the docs, the examples'
// translations (.jsii.tabl.json, which the release's language builds use) and the bundled
// fflate, and nothing of the example app, tests, benchmark or synth output.
// Run after `npx projen compile` (lib/ must exist): node .ci/check-package.mjs
import { execFileSync } from 'node:child_process';

const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const files = pack.files.map((f) => f.path).sort();

const required = [
  'package.json', '.jsii', '.jsii.tabl.json', 'API.md', 'README.md', 'LICENSE',
  'lib/index.js', 'lib/index.d.ts', 'lib/guardduty-members.js', 'lib/detective-graph-members.js',
  'lib/private/members-provider.js', 'lib/private/reconcile-function.js',
  'assets/private/reconcile.lambda/index.js', 'assets/private/plan/plan.cli/index.js', 'bin/cdk-security-members',
  'node_modules/fflate/package.json',
];
const allowed = [/^package\.json$/, /^\.jsii$/, /^\.jsii\.tabl\.json$/, /^API\.md$/, /^README\.md$/, /^CHANGELOG\.md$/, /^LICENSE$/, /^lib\/.+\.(js|d\.ts)$/, /^assets\//, /^bin\/cdk-security-members$/, /^node_modules\/fflate\//];
const forbidden = [/^lib\/private\/(reconcile\.lambda|deployment|engine|planner|report|logger|settings|stacks|ledger\/(ledger|store)|services\/(member-service|registry|readers|[^/]+\/(api|reader|statuses))|ledger\/writer|organizations|sync|clients|plan\/[^/]+)\./];

const problems = [
  ...required.filter((f) => !files.includes(f)).map((f) => `missing: ${f}`),
  ...files.filter((f) => !allowed.some((re) => re.test(f))).map((f) => `not part of the library: ${f}`),
  ...files.filter((f) => forbidden.some((re) => re.test(f))).map((f) => `handler-only module (it ships bundled in assets/): ${f}`),
];

for (const f of pack.files) console.log(`${String(f.size).padStart(9)}  ${f.path}`);
console.log(`${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('package contents OK');
