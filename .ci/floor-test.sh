#!/usr/bin/env bash
# The construct (synth-time) tests against the lowest aws-cdk-lib and constructs the peer ranges
# allow. Run last: it replaces both in node_modules (`npm ci` restores them).
set -euo pipefail
cd "$(dirname "$0")/.."

# The floors of the peer ranges in package.json (from .projenrc.ts, PEER_FLOOR and CONSTRUCTS_FLOOR).
peer_floor() { node -p "require('./package.json').peerDependencies['$1'].replace(/^\\^/, '')"; }
CDK_FLOOR=$(peer_floor aws-cdk-lib)
CONSTRUCTS_FLOOR=$(peer_floor constructs)
# npm, installing an older aws-cdk-lib over the lockfile's, leaves its bundled cloud-assembly
# schema empty: install the schema it asks for beside it.
SCHEMA_RANGE=$(npm view "aws-cdk-lib@$CDK_FLOOR" 'dependencies.@aws-cdk/cloud-assembly-schema')
npm install --no-save --no-audit --no-fund "aws-cdk-lib@$CDK_FLOOR" "constructs@$CONSTRUCTS_FLOOR" "@aws-cdk/cloud-assembly-schema@$SCHEMA_RANGE"
node -e '
  const cdk = require("aws-cdk-lib");
  const installed = [require("aws-cdk-lib/package.json").version, require("constructs/package.json").version];
  if (installed.join() !== process.argv.slice(1).join()) throw new Error(`installed ${installed}, not ${process.argv.slice(1)}`);
  new cdk.App().synth();
  console.log(`aws-cdk-lib ${installed[0]} with constructs ${installed[1]} synthesizes`);
' "$CDK_FLOOR" "$CONSTRUCTS_FLOOR"

# Every test that synthesizes the constructs; the handler's tests do not depend on aws-cdk-lib.
# Left out on the floor, where they cannot run: cdk-nag 3 (test/security.test.ts and the tests
# named "cdk-nag") needs aws-cdk-lib 2.257.0 or newer; the README's examples are compiled
# against the current API (the cdk-nag one uses Validations; their snapshot helper still runs);
# the template snapshots record the current aws-cdk-lib's output (the Provider framework's own
# resources and the runtime mapping differ between versions; "two synths give byte-identical
# templates" still runs). (Paths first: --reporters takes every value after it.)
npx jest \
  test/guardduty-members.test.ts test/detective-graph-members.test.ts test/security-hub-members.test.ts \
  test/organization-sources.test.ts test/security-members-provider.test.ts test/validation-errors.test.ts \
  test/misconfigurations.test.ts test/private/acknowledge.test.ts test/private/least-privilege.test.ts \
  test/private/declared-members.test.ts test/readme.test.ts \
  --testNamePattern '^(?!.*(cdk-nag|every README example compiles)|snapshots template$)' \
  --coverage=false --ci --reporters=default
