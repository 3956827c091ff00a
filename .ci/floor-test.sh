#!/usr/bin/env bash
# The construct (synth-time) tests against the lowest aws-cdk-lib the peer range allows.
# Run last: it replaces aws-cdk-lib in node_modules (npm ci restores it).
set -euo pipefail
cd "$(dirname "$0")/.."

# The floor of the peer range in package.json (from .projenrc.ts, PEER_FLOOR).
CDK_FLOOR=$(node -p 'require("./package.json").peerDependencies["aws-cdk-lib"].replace(/^\^/, "")')
# npm, installing an older aws-cdk-lib over the lockfile's, leaves its bundled cloud-assembly
# schema empty: install the schema it asks for beside it.
SCHEMA_RANGE=$(npm view "aws-cdk-lib@$CDK_FLOOR" 'dependencies.@aws-cdk/cloud-assembly-schema')
npm install --no-save --no-audit --no-fund "aws-cdk-lib@$CDK_FLOOR" "@aws-cdk/cloud-assembly-schema@$SCHEMA_RANGE"
node -e '
  const cdk = require("aws-cdk-lib");
  const version = require("aws-cdk-lib/package.json").version;
  if (version !== process.argv[1]) throw new Error(`aws-cdk-lib ${version} installed, not ${process.argv[1]}`);
  new cdk.App().synth();
  console.log(`aws-cdk-lib ${version} synthesizes`);
' "$CDK_FLOOR"

# Every test that synthesizes the constructs; the handler's tests do not depend on aws-cdk-lib.
# (Paths first: --reporters takes every value after it.)
npx jest \
  test/guardduty-members.test.ts test/detective-graph-members.test.ts test/security-hub-members.test.ts \
  test/organization-sources.test.ts test/security-members-provider.test.ts test/validation-errors.test.ts \
  test/security.test.ts test/private/least-privilege.test.ts test/private/declared-members.test.ts test/readme.test.ts \
  --coverage=false --ci --reporters=default
