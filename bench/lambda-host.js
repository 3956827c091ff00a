// Runs the bundled reconcile handler for one CloudFormation event, as Lambda and the CDK Provider
// framework would: the onEvent call, then isComplete calls until the work is done, all in one
// plain-Node process (a warm function), so the peak RSS it reports is the handler's own.
// Usage: node lambda-host.js <job.json> <result.json>
// The job holds { event, remainingMs }; endpoints and credentials come from the environment.
'use strict';
const fs = require('fs');
const path = require('path');

const [jobFile, resultFile] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
let logLines = 0;
for (const level of ['log', 'info', 'warn', 'error']) {
  console[level] = () => { logLines++; };
}
const { handler } = require(path.join(__dirname, '..', 'assets', 'private', 'reconcile.lambda', 'index.js'));
const context = () => {
  const deadline = Date.now() + job.remainingMs;
  return {
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:999999999999:function:bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
};

async function run() {
  const started = await handler(job.event, context());
  const continued = { ...job.event, ...started };
  for (let invocations = 1; ; invocations++) {
    const result = await handler(continued, context());
    if (result.IsComplete) {
      return { PhysicalResourceId: started.PhysicalResourceId, Data: result.Data, invocations };
    }
  }
}

const startedAt = process.hrtime.bigint();
run().then(
  (response) => finish({ ok: true, response }),
  (error) => finish({ ok: false, error: String(error && error.message) }),
);

function finish(outcome) {
  const wallMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  fs.writeFileSync(resultFile, JSON.stringify({ ...outcome, wallMs, maxRssMb, logLines }));
}
