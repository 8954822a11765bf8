// switchyard-codedeploy.js: runs a lifecycle hook written for CodeDeploy under Switchyard as well, with one changed
// line. Copy this file next to the hook's handler (it has no dependencies) and wrap the CodeDeploy client the hook
// already makes:
//   const codedeploy = require('./switchyard-codedeploy').client(new AWS.CodeDeploy());      // AWS SDK v2
//   const codedeploy = require('./switchyard-codedeploy').client(new CodeDeployClient({}));  // AWS SDK v3
// Switchyard gives its hooks a LifecycleEventHookExecutionId that starts with "switchyard-". For such an id,
// PutLifecycleEventHookExecutionStatus (v2: the method, with a callback or .promise(); v3: send() of the command)
// calls no AWS API: it writes one line to stdout, `SWITCHYARD_HOOK_STATUS {"lifecycleEventHookExecutionId", "status"}`,
// which Switchyard reads from the end of the invocation's log, and answers as CodeDeploy would. Any other id (every
// call under CodeDeploy) and every other call go to the wrapped client unchanged. Switchyard reads only the last
// 4 KB of the log: report the status last. The contract is in docs/HOOKS.md of the Switchyard repository.
// idempotencyKey(event) gives the hook's LifecycleEventHookExecutionId, which Switchyard hands the hook again,
// unchanged, when it invokes the hook again for the same event of the same deployment (a retry): a hook with side
// effects records the keys it has handled, with the status it gave, and answers the same again without redoing.

const PREFIX = 'switchyard-';
const MARKER = 'SWITCHYARD_HOOK_STATUS ';
const STATUSES = ['Succeeded', 'Failed'];

function isSwitchyard(params) {
  const id = params ? params.lifecycleEventHookExecutionId : undefined;
  return typeof id === 'string' && id.startsWith(PREFIX);
}

// Writes the status line and resolves with CodeDeploy's answer; a status CodeDeploy would refuse is refused here too.
function report(params) {
  const { lifecycleEventHookExecutionId, status } = params;
  if (!STATUSES.includes(status)) {
    const error = new Error(
      `status ${JSON.stringify(status)} is not one a hook may report: PutLifecycleEventHookExecutionStatus ` +
        'takes "Succeeded" or "Failed"',
    );
    error.name = 'InvalidLifecycleEventHookExecutionStatusException';
    return Promise.reject(error);
  }
  process.stdout.write(`${MARKER}${JSON.stringify({ lifecycleEventHookExecutionId, status })}\n`);
  return Promise.resolve({ lifecycleEventHookExecutionId });
}

// Node-style callback, called outside the promise chain so that an error it throws is not swallowed.
function settle(promise, callback) {
  promise.then(
    (data) => setImmediate(callback, null, data),
    (error) => setImmediate(callback, error),
  );
}

// v2: the request goes when a callback is given or .promise() is called, once.
function putStatusV2(target, params, callback) {
  if (!isSwitchyard(params)) return target.putLifecycleEventHookExecutionStatus(params, callback);
  let sent;
  const send = () => {
    sent = sent || report(params);
    return sent;
  };
  if (typeof callback === 'function') settle(send(), callback);
  return { promise: send };
}

// v3: send(command[, options][, callback]); the command is recognised by its input, not by its class.
function sendV3(target, command, rest) {
  if (!isSwitchyard(command ? command.input : undefined)) return target.send(command, ...rest);
  const sent = report(command.input).then((data) => ({ ...data, $metadata: { httpStatusCode: 200 } }));
  const callback = rest.find((argument) => typeof argument === 'function');
  if (!callback) return sent;
  settle(sent, callback);
}

/** The CodeDeploy client `codedeploy` (AWS SDK v2 or v3), reporting Switchyard hook executions to Switchyard. */
function client(codedeploy) {
  return new Proxy(codedeploy, {
    get(target, property) {
      if (property === 'putLifecycleEventHookExecutionStatus') {
        return (params, callback) => putStatusV2(target, params, callback);
      }
      if (property === 'send') return (command, ...rest) => sendV3(target, command, rest);
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The idempotency key of one hook execution: the event's LifecycleEventHookExecutionId, the same on every
 * invocation of this hook for this lifecycle event of this deployment, under Switchyard (retries included) and
 * CodeDeploy alike. Throws when the event has none (the function was not invoked as a lifecycle hook).
 */
function idempotencyKey(event) {
  const id = event ? event.LifecycleEventHookExecutionId : undefined;
  if (typeof id !== 'string' || id === '') {
    throw new TypeError(
      'the event has no LifecycleEventHookExecutionId: idempotencyKey(event) takes the event a lifecycle hook is ' +
        'invoked with (by Switchyard or CodeDeploy), unchanged',
    );
  }
  return id;
}

exports.client = client;
exports.idempotencyKey = idempotencyKey;
