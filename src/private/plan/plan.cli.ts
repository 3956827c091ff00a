/** The `cdk-security-members` command (bundled into assets/private/plan/plan.cli/ with its SDK clients; see bin/). */
import { runCli } from './cli';

void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
}).then((code) => {
  process.exitCode = code;
});
