import { awscdk, DependencyType, javascript, JsonFile } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-security-members',
  description:
    'GuardDuty, Detective and Security Hub member accounts declared in CDK (static lists or AWS Organizations OUs): ' +
    'reconciled in batches, failing on unprocessed accounts, owned per detector so no rename or rollback loses one.',
  keywords: ['awscdk', 'cdk', 'aws-cdk', 'guardduty', 'detective', 'securityhub', 'security', 'multi-account', 'organizations', 'members'],
  author: 'cdk-security-members maintainers',
  // The project's home: its maintainers answer there (issues), not at a personal address.
  authorAddress: 'https://github.com/cdk-security-members',
  authorOrganization: true,
  repositoryUrl: 'https://github.com/cdk-security-members/cdk-security-members.git',
  homepage: 'https://github.com/cdk-security-members/cdk-security-members#readme',
  bugsUrl: 'https://github.com/cdk-security-members/cdk-security-members/issues',
  // jsii 6 and the toolchain run on Node 20 (end of life 2026-04-30: 22 or 24 recommended).
  minNodeVersion: '20.0.0',
  // GitHub's workflows build on the current LTS (minNodeVersion would pin them to 20.0.0).
  workflowNodeVersion: 'lts/*',

  // The jsii languages. Their registries are out of reach of CI here; CI generates the Python
  // bindings and compiles them (see README, Development).
  publishToPypi: { distName: 'cdk-security-members', module: 'cdk_security_members' },
  publishToMaven: {
    javaPackage: 'io.github.cdksecuritymembers',
    mavenGroupId: 'io.github.cdk-security-members',
    mavenArtifactId: 'cdk-security-members',
  },
  publishToNuget: { dotNetNamespace: 'CdkSecurityMembers', packageId: 'CdkSecurityMembers' },
  publishToGo: { moduleName: 'github.com/cdk-security-members/cdk-security-members-go' },
  license: 'Apache-2.0',
  // 0.x, unreleased: the API may change before 1.0 (Construct Hub shows this).
  stability: 'experimental',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // Development and tests use this version; the peer range starts lower (PEER_FLOOR below).
  cdkVersion: '2.276.0',
  // Peers are not pinned as devDependencies at their floors: the tests run on cdkVersion, and
  // CI runs the construct tests on the floor as a separate step.
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~6.0.0',
  constructsVersion: '10.5.1',

  // Compresses large member lists at synth time. Pure JavaScript, so the output (and users'
  // snapshots) is identical on every platform; pinned because a new version may compress
  // differently.
  bundledDeps: ['fflate@0.8.3'],

  devDeps: [
    '@aws-sdk/client-guardduty@^3',
    '@aws-sdk/client-detective@^3',
    '@aws-sdk/client-securityhub@^3',
    '@aws-sdk/client-ssm@^3',
    '@aws-sdk/client-cloudformation@^3',
    '@aws-sdk/client-organizations@^3',
    '@aws-sdk/client-cloudwatch@^3',
    '@aws-sdk/client-sts@^3',
    '@aws-sdk/client-inspector2@^3',
    '@aws-sdk/client-macie2@^3',
    // Model-based and interleaving tests of the ownership invariant (fc.commands, fc.scheduler).
    'fast-check@^4',
    '@types/aws-lambda',
    'aws-sdk-client-mock@^4.1.0',
    'aws-sdk-client-mock-jest@^4.1.0',
    '@smithy/core',
    // The registry's `latest` aws-cdk CLI (3.0.0) cannot read aws-cdk-lib 2.276's cloud assembly.
    'aws-cdk@^2.1148.1',
    'tsx',
    // Security checks in the tests (cdk-nag 3 runs its checks from aws-cdk-lib 2.26x on).
    'cdk-nag@^3.0.2',
    // Integration snapshots. No alpha matches aws-cdk-lib 2.276 exactly: the newest one,
    // whose peer range (^2.245.0) covers it, pinned.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner@^2.197.10',
  ],

  lambdaOptions: {
    // Like the Provider framework: the region's latest Node.js runtime (bundle targets node22).
    runtime: awscdk.LambdaRuntime.NODEJS_REGIONAL_LATEST,
    bundlingOptions: {
      // Bundle the SDK clients: the reconcile logic depends on their retry behaviour, so ship
      // the versions it was tested with instead of whatever the Lambda runtime carries.
      externals: [],
      sourcemap: false,
      // `minify` is not in projen's typed options, but it is passed straight to esbuild.
      ...({ minify: true } as object),
    },
  },

  jestOptions: {
    // A changed snapshot must fail the run, in CI too.
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
      coveragePathIgnorePatterns: ['/node_modules/', '-function\\.ts$', '/assets/'],
    },
  },

  gitignore: ['cdk.out/', '.cdk.staging/', 'bench-results/'],
  npmignoreEnabled: true,
});

// unrs-resolver@1.13.0 is served without most platform packages, which makes `npm ci` reject
// the lockfile; 1.12.2 is complete.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// The handler, planner and adapters must stay well covered (projen's type only knows `global`).
project.tryFindObjectFile('package.json')!.addOverride('jest.coverageThreshold', {
  './src/private/': { lines: 90, branches: 85, functions: 90, statements: 90 },
});

// The lowest aws-cdk-lib the library works with: 2.206.0, the first whose Provider framework
// logs at FATAL level only (`frameworkLambdaLoggingLevel`) and whose waiter state machine does not
// log: before it, both log every CloudFormation event, member emails included. It also has
// everything else the constructs use (nodejs22.x from `determineLatestNodeRuntime`, 2.197.0 on;
// the framework's own roles and log group; CustomResource serviceTimeout; addWarningV2; app
// validation failures raised as ValidationErrors). Newer features are detected, not required:
// aws-cdk-lib's exported ValidationError (2.201.0 on; src/private/errors.ts) and the cdk-nag
// acknowledgements (`Validations`, 2.251.0 on, taking cdk-nag's bracketed IDs from 2.269.0;
// src/private/acknowledge.ts). constructs 10.4.2 was current when aws-cdk-lib 2.206.0 came out.
// Both were published more than 180 days before the first release. CI runs the construct tests
// against them (.ci/floor-test.sh).
const PEER_FLOOR = '2.206.0';
const CONSTRUCTS_FLOOR = '10.4.2';
project.deps.removeDependency('aws-cdk-lib', DependencyType.PEER);
project.deps.addDependency(`aws-cdk-lib@^${PEER_FLOOR}`, DependencyType.PEER);
project.deps.removeDependency('constructs', DependencyType.PEER);
project.deps.addDependency(`constructs@^${CONSTRUCTS_FLOOR}`, DependencyType.PEER);
// Develop and test against the newer cdkVersion, not the floor (peerDependencyOptions above).
project.deps.addDependency(`aws-cdk-lib@${project.cdkVersion}`, DependencyType.BUILD);
project.deps.addDependency('constructs@10.5.1', DependencyType.BUILD);

// The handler and its service adapters are bundled with esbuild: their SDK imports are
// build-time (dev) dependencies, not runtime dependencies of the library.
project.eslint?.addOverride({
  files: ['src/**/*.lambda.ts', 'src/private/services/*/api.ts', 'src/private/services/*/reader.ts', 'src/private/run/*.ts',
    'src/private/stacks.ts', 'src/private/ledger/store.ts', 'src/private/ledger/writer.ts', 'src/private/organizations.ts',
    'src/private/clients.ts', 'src/private/plan/*.ts', 'bench/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// The example app and its CDK CLI configuration are not part of the package.
project.addPackageIgnore('/examples/');
project.addPackageIgnore('/cdk.out.examples/');
project.gitignore.exclude('/cdk.out.examples/');
project.addPackageIgnore('/cdk.json');
project.addPackageIgnore('/cdk.out/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/bench-results/');
project.addPackageIgnore('/.ci/');
project.addPackageIgnore('/rosetta/');
project.addPackageIgnore('/CONTRIBUTING.md');
project.addPackageIgnore('/dist-python-check/');
project.addPackageIgnore('/build-tools/');
// The README links the docs and the security policy on GitHub; a packed package is not repacked.
project.addPackageIgnore('/docs/');
project.addPackageIgnore('/SECURITY.md');
project.addPackageIgnore('/*.tgz');
// jsii-rosetta's translations (.jsii.tabl.json) and the Python check's output are build products.
// The tablet ships in the npm package: the release builds every language from that package
// (jsii-pacmak loads a `.jsii.tabl.json` found beside `.jsii`), and so does Construct Hub.
project.gitignore.exclude('/.jsii.tabl.json', '/dist-python-check/');

// Every README and docstring example, translated (and compiled: --strict) after each compile,
// with the Python imports tidied (build-tools/tidy-python-examples.ts).
const rosetta = project.addTask('rosetta:extract', {
  description: 'Translate the README and docstring examples into the jsii languages (.jsii.tabl.json)',
  env: { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
});
rosetta.exec('jsii-rosetta extract --strict');
rosetta.exec('tsx build-tools/tidy-python-examples.ts .jsii.tabl.json');
project.postCompileTask.spawn(rosetta);

// `npx projen pack`: the npm package, offline, in the repository's root (cdk-security-members-<version>.tgz).
// `npx projen package` builds every language outside CI and stops where a toolchain or registry
// is missing (Java first); the release builds the other languages from this package.
const pack = project.addTask('pack', {
  description: 'Build the npm package offline: bundle, compile, API.md and translations, npm pack (no other language)',
});
pack.spawn(project.preCompileTask);
pack.spawn(project.compileTask);
pack.spawn(project.postCompileTask);
pack.exec('npm pack');
// The handler, planner, engine and service adapters run only inside the bundled handler in
// assets/; their compiled copies in lib/ would be dead code in the package.
for (const handlerOnly of [
  'reconcile.lambda', 'run/*', 'engine', 'planner', 'report', 'logger', 'declaration', 'stacks', 'ledger/ledger', 'ledger/store',
  'ledger/writer', 'ledger/lock', 'ledger/held', 'ledger/records', 'services/member-service', 'services/registry', 'services/readers',
  'services/*/api', 'services/*/reader', 'services/*/statuses', 'organizations', 'clients', 'plan/*',
]) {
  project.addPackageIgnore(`/lib/private/${handlerOnly}.*`);
}

// What `npm pack` ships, checked after compile in CI (.ci/check-package.mjs).
project.addTask('check-package', {
  description: 'Check that the npm package holds lib/, assets/, bin/, API.md, README, CHANGELOG and LICENSE, and nothing else of the repository',
  exec: 'node .ci/check-package.mjs',
});

// `cdk-security-members plan`: bundled with its SDK clients like the handler (the library has no
// runtime dependency on the SDK); bin/cdk-security-members is the launcher npm links (projen lists bin/).
project.bundler.addBundle('./src/private/plan/plan.cli.ts', {
  platform: 'node',
  target: 'node20',
  externals: [],
  sourcemap: false,
  ...({ minify: true } as object),
});

// Tests load the generated function constructs, which point at the bundled handler, and
// ts-jest only transpiles (isolatedModules), so type-check the tests explicitly.
project.testTask.prependSpawn(project.bundler.bundleTask);
project.testTask.env('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
project.testTask.env('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.testTask.exec('tsc --noEmit -p test/tsconfig.json');

new JsonFile(project, 'cdk.json', {
  obj: {
    app: 'npx tsx examples/basic/app.ts',
    // The CLI runs this before synthesizing, so a fresh clone needs only `npm ci`.
    build: 'npx projen bundle',
    notices: false,
    context: {
      'cli-telemetry': false,
    },
  },
});

// Example app, benchmark and build tools are type-checked and linted with the tests.
project.tsconfigDev.addInclude('../examples/**/*.ts');
project.tsconfigDev.addInclude('../bench/**/*.ts');
project.tsconfigDev.addInclude('../build-tools/**/*.ts');
project.eslint?.addLintPattern('bench');
new JsonFile(project, 'build-tools/tsconfig.json', {
  obj: { extends: '../test/tsconfig.json', include: ['**/*.ts'] },
});
// eslint's project service takes the nearest tsconfig.json: give bench/ the tests' settings.
new JsonFile(project, 'bench/tsconfig.json', {
  obj: { extends: '../test/tsconfig.json', include: ['**/*.ts'] },
});

// `npm run bench`: the bundled handler against the local endpoint at scale, with baselines
// (bench/run.ts). Not part of the test run: it takes minutes and measures wall time.
const bench = project.addTask('bench', {
  description: 'Benchmark the bundled handler against the local endpoint (see README, Performance)',
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
});
bench.spawn(project.bundler.bundleTask);
bench.exec('tsx bench/run.ts', { receiveArgs: true });

// `npm run fuzz -- [--runs N] [--seed S]`: the ownership invariant's randomized tests with many
// more sequences and interleavings than CI runs (which runs a bounded count, seed printed).
const fuzz = project.addTask('fuzz', {
  description: 'Run the ownership invariant\'s model-based and race tests at length (--runs N, --seed S)',
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
});
fuzz.spawn(project.bundler.bundleTask);
fuzz.exec('tsx build-tools/fuzz.ts', { receiveArgs: true });

project.synth();
