// AfterAllowTestTraffic hook of the sample application: GET /health through the test listener, which forwards to
// green at this point. Switchyard invokes it with {deploymentId, hook, commitId, taskDefinitionArn,
// greenTargetGroupArn, testListenerArn, DeploymentId, LifecycleEventHookExecutionId} (docs/HOOKS.md). Only the
// answer {status: 'Succeeded'} passes: any other answer, or an error, rolls the deployment back.
// No dependencies: examples/infrastructure.yaml inlines this file as the function's code.
// - TEST_URL (environment) is the test listener's URL, e.g. http://<ALB DNS name>:8080.
// - In an emulator (AWS_ENDPOINT_URL is set) there is no load balancer to call: it succeeds with a note saying
//   that nothing was checked.
// - The event may say otherwise: "testUrl" is called instead of TEST_URL (also in an emulator), and "simulate"
//   ("Succeeded" or "Failed") answers that without calling anything, to try a rollback locally.
const TIMEOUT_MS = 5000;

exports.handler = async (event) => {
  const input = event || {};
  const outcome = await smokeTest(input);
  console.log(JSON.stringify({ deploymentId: input.deploymentId, hook: input.hook, ...outcome }));
  return outcome;
};

async function smokeTest(input) {
  if (input.simulate === 'Succeeded' || input.simulate === 'Failed') {
    const why = `simulated: the event asked for ${input.simulate}; nothing was called`;
    return input.simulate === 'Failed'
      ? { status: 'Failed', reason: why }
      : { status: 'Succeeded', note: why };
  }
  const emulator = process.env.AWS_ENDPOINT_URL;
  const base = input.testUrl || (emulator ? '' : process.env.TEST_URL);
  if (!base) {
    if (emulator) {
      return {
        status: 'Succeeded',
        note: `running in an emulator (AWS_ENDPOINT_URL=${emulator}): there is no load balancer to call, /health was not checked`,
      };
    }
    return {
      status: 'Failed',
      reason: 'TEST_URL is not set: set it to the test listener URL, e.g. http://<ALB DNS name>:8080',
    };
  }
  let url;
  try {
    url = new URL('/health', base).toString();
  } catch {
    return {
      status: 'Failed',
      reason: `${JSON.stringify(base)} is not a URL: expected e.g. http://host:8080`,
    };
  }
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await response.text()).slice(0, 200).trim();
    if (response.status === 200) return { status: 'Succeeded', url, statusCode: 200 };
    return { status: 'Failed', reason: `GET ${url} answered ${response.status} (expected 200): ${body}` };
  } catch (error) {
    const cause = error.cause && (error.cause.code || error.cause.message);
    return { status: 'Failed', reason: `GET ${url} failed: ${cause || error.message}` };
  }
}
