/** The `cdk-security-members` command (bundled into assets/private/plan/plan.cli/ with its SDK clients; see bin/). */
import { runCli } from './cli';

// The SDK's notice that its future versions need a newer Node.js concerns whoever updates the SDK:
// the SDK is bundled, fixed at this package's release, and runs on every Node.js the package supports.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
}).then((code) => {
  process.exitCode = code;
});
