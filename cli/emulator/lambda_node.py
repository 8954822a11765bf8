"""Lambda Invoke for Node.js functions without Docker, for Switchyard's emulator.

moto 5.2.1 runs a function's code only in a Docker container. For a function whose Runtime starts with
`nodejs` and whose PackageType is Zip, LambdaFunction.invoke (reached by Invoke and InvokeAsync after moto
has resolved the qualifier or alias) is replaced here:

- The code zip moto keeps (`code_bytes`, from ZipFile or from the S3 object at creation) is unpacked once
  into `<cache>/<code sha256 hex>/` (cache: $SWITCHYARD_LAMBDA_CACHE or `<tmp>/switchyard-lambda`), the
  function's LAMBDA_TASK_ROOT and working directory.
- `node` ($SWITCHYARD_LAMBDA_NODE, else `node` on PATH) runs a small bootstrap (next to the cache) that loads
  `Handler` = `[dir/]file.export[.nested]` from file.js, .mjs or .cjs (require, or import() for ES modules),
  calls it with the event (stdin, JSON) and a context (awsRequestId, functionName, functionVersion,
  invokedFunctionArn, memoryLimitInMB, logGroupName, logStreamName, getRemainingTimeInMillis,
  callbackWaitsForEmptyEventLoop), and takes the result from the returned promise or the callback; a handler
  that returns neither gives null once its event loop is empty. console.* lines are written as the Node
  runtime writes them in Text log format: `<ISO time>\\t<request id>\\t<LEVEL>\\t<message>`.
- Environment: a clean one (PATH, LANG, TZ), then the function's Environment.Variables, then what Lambda
  reserves: AWS_REGION, AWS_DEFAULT_REGION, AWS_LAMBDA_FUNCTION_NAME/_VERSION/_MEMORY_SIZE,
  AWS_LAMBDA_LOG_GROUP_NAME/_STREAM_NAME, AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT, _HANDLER, dummy credentials,
  and AWS_ENDPOINT_URL = this emulator, so the function's AWS SDK calls come back here.
- Errors as Lambda reports them (header X-Amz-Function-Error: Unhandled, payload
  `{"errorType","errorMessage","trace"}`): a thrown or rejected Error (its name, message and stack lines);
  a thrown non-Error (errorType = its typeof, trace []); Runtime.ImportModuleError, Runtime.HandlerNotFound,
  Runtime.MalformedHandlerName, Runtime.UserCodeSyntaxError; Runtime.ExitError when the process exits
  without answering; after Timeout seconds the process group is killed and the error is Sandbox.Timedout
  with "RequestId: <id> Error: Task timed out after N.00 seconds".
- The log (START, the function's output, END, REPORT) goes to CloudWatch Logs `/aws/lambda/<name>`; with
  LogType Tail its last 4 KB come back base64 in X-Amz-Log-Result (moto drops the header otherwise).
- Invoke's Qualifier (a version or an alias) is read from the query string, where moto 5.2.1 missed it (it
  ran $LATEST, took a payload key "qualifier" for one, and failed on a payload that is not an object).
- InvocationType RequestResponse runs and answers 200; Event starts the run on a thread and answers 202 at
  once (no retries, no destinations); DryRun runs nothing and answers 204 (moto's status code).
Not emulated: layers, memory limits, the AWS SDK that Lambda's runtime bundles (a function must bundle its
dependencies), reuse of warm environments (each invoke is a new process). Other runtimes and Image functions
keep moto's behaviour.
"""

import base64
import hashlib
import io
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from datetime import datetime, timezone
from typing import Any, Callable

from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time_millis

LOG_TAIL_BYTES = 4096
DUMMY_CREDENTIAL = "testing"
_endpoint: str | None = None


class InvalidRequestContentException(JsonRESTError):
    """The Invoke payload is not JSON (HTTP 400, as Lambda answers)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidRequestContentException", message)


class EmulatorFailure(JsonRESTError):
    """The emulator cannot run the function (no node, unreadable code): HTTP 500 with the cause."""

    code = 500

    def __init__(self, message: str):
        super().__init__("ServiceException", message)


def set_endpoint(host: str, port: int) -> None:
    """The URL functions get as AWS_ENDPOINT_URL: this server, reachable from a local process."""
    global _endpoint
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    _endpoint = f"http://{reachable}:{port}"


def _endpoint_url() -> str:
    return _endpoint or f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"


# --------------------------------------------------------------------------------------------
# Code and bootstrap on disk
# --------------------------------------------------------------------------------------------

BOOTSTRAP = r"""'use strict';
// Switchyard emulator: runs one Lambda invocation of a Node.js handler (see cli/emulator/lambda_node.py).
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const [resultFile, requestId, deadlineText, invokedFunctionArn] = process.argv.slice(2);
const deadline = Number(deadlineText);
const env = process.env;

const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
const line = (level, message) =>
  process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${message.replace(/\n/g, '\r')}\n`);
for (const [name, level] of Object.entries(levels)) {
  console[name] = (...args) => line(level, util.format(...args));
}

class RuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

const isError = (value) =>
  util.types.isNativeError(value) ||
  (value !== null && typeof value === 'object' && typeof value.name === 'string' && typeof value.message === 'string');
const errorResponse = (error) =>
  isError(error)
    ? { errorType: error.name, errorMessage: error.message, trace: String(error.stack ?? '').split('\n') }
    : { errorType: typeof error, errorMessage: String(error), trace: [] };

// getrusage's maxRSS survives exec (it would report the emulator's own size): read the peak of this process.
function peakMemoryKb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {}
  return Math.round(process.memoryUsage().rss / 1024);
}

let finished = false;
function finish(outcome) {
  if (finished) return;
  finished = true;
  outcome.maxRSS = peakMemoryKb();
  fs.writeFileSync(resultFile, JSON.stringify(outcome));
  process.exit(0);
}
function fail(error) {
  const response = errorResponse(error);
  line('ERROR', `Invoke Error \t${JSON.stringify(response)}`);
  finish({ ok: false, error: response });
}
function succeed(value) {
  let payload;
  try {
    payload = JSON.stringify(value);
  } catch (error) {
    return fail(error);
  }
  finish({ ok: true, payload: payload === undefined ? 'null' : payload });
}

async function loadHandler() {
  const handler = env._HANDLER ?? '';
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) {
    const message = `Bad handler ${handler}: expected file.export, e.g. index.handler`;
    throw new RuntimeError('Runtime.MalformedHandlerName', message);
  }
  const moduleName = handler.slice(0, slash + 1) + base.slice(0, dot);
  const exportPath = base.slice(dot + 1);
  const stem = path.resolve(env.LAMBDA_TASK_ROOT, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((extension) => stem + extension).find((name) => fs.existsSync(name));
  if (!file) {
    const looked = `looked for ${moduleName}.js, .mjs and .cjs in ${env.LAMBDA_TASK_ROOT}`;
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}' (${looked})`);
  }
  let loaded;
  try {
    if (file.endsWith('.mjs')) {
      loaded = await import(pathToFileURL(file).href);
    } else {
      try {
        loaded = require(file);
      } catch (error) {
        if (error?.code !== 'ERR_REQUIRE_ESM') throw error;
        loaded = await import(pathToFileURL(file).href);
      }
    }
  } catch (error) {
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${error.message}`);
    }
    if (error instanceof SyntaxError) {
      throw new RuntimeError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    }
    throw error;
  }
  let target = loaded;
  for (const part of exportPath.split('.')) target = target == null ? undefined : target[part];
  if (typeof target !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${moduleName}.${exportPath} is undefined or not exported`);
  }
  return target;
}

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  succeed: (value) => succeed(value),
  fail: (error) => fail(error),
  done: (error, value) => (error == null ? succeed(value) : fail(error)),
};

(async () => {
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    return fail(error);
  }
  const event = JSON.parse(fs.readFileSync(0, 'utf8') || '{}');
  // A handler that neither returns a promise nor calls back answers null once nothing is left to do.
  process.on('beforeExit', () => succeed(null));
  try {
    const returned = handler(event, context, (error, value) => (error == null ? succeed(value) : fail(error)));
    if (returned && typeof returned.then === 'function') returned.then(succeed, fail);
  } catch (error) {
    fail(error);
  }
})();
"""

_disk_lock = threading.Lock()


def _cache_root() -> str:
    return os.environ.get("SWITCHYARD_LAMBDA_CACHE") or os.path.join(tempfile.gettempdir(), "switchyard-lambda")


def _bootstrap_path() -> str:
    """The bootstrap, written once per content (its name carries a hash, so an edited one never goes stale)."""
    digest = hashlib.sha256(BOOTSTRAP.encode()).hexdigest()[:16]
    path = os.path.join(_cache_root(), f"bootstrap-{digest}.cjs")
    if not os.path.exists(path):
        with _disk_lock:
            os.makedirs(_cache_root(), exist_ok=True)
            temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(BOOTSTRAP)
            os.replace(temporary, path)
    return path


def _task_root(fn: LambdaFunction) -> str:
    """The function's code unpacked into `<cache>/<sha256>/`, once; concurrent first invokes race safely."""
    digest = fn.code_digest or "empty"
    root = os.path.join(_cache_root(), digest)
    if os.path.isdir(root):
        return root
    os.makedirs(_cache_root(), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f"{digest}.", dir=_cache_root())
    try:
        if fn.code_bytes:
            _unzip(fn.code_bytes, staging)
        try:
            os.rename(staging, root)
        except OSError:
            if not os.path.isdir(root):
                raise
            shutil.rmtree(staging, ignore_errors=True)  # another invoke won the race
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root


def _unzip(data: bytes, destination: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise EmulatorFailure(f"the function's code is not a zip file ({error}); it cannot be run") from error
    real_destination = os.path.realpath(destination)
    with archive:
        for member in archive.infolist():
            target = os.path.realpath(os.path.join(destination, member.filename))
            # An entry naming a path outside the task root (../, absolute) is skipped, as unzip -o would refuse it.
            if target != real_destination and not target.startswith(real_destination + os.sep):
                continue
            archive.extract(member, destination)


def _node_binary() -> str:
    configured = os.environ.get("SWITCHYARD_LAMBDA_NODE")
    found = configured or shutil.which("node")
    if not found:
        raise EmulatorFailure(
            "the emulator runs Node.js Lambda functions with `node`, which is not on PATH; put Node on PATH or "
            "set SWITCHYARD_LAMBDA_NODE to its path"
        )
    return found


# --------------------------------------------------------------------------------------------
# One invocation
# --------------------------------------------------------------------------------------------


class Invocation:
    """The outcome of one run: payload, function error (None on success) and the log text."""

    def __init__(self, payload: bytes, function_error: str | None, log: str):
        self.payload = payload
        self.function_error = function_error
        self.log = log


def _environment(fn: LambdaFunction, task_root: str, log_stream: str) -> dict[str, str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }
    environment.update({str(key): str(value) for key, value in (fn.environment_vars or {}).items()})
    environment.update(
        {
            "_HANDLER": fn.handler or "",
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": _cache_root(),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
            "AWS_SESSION_TOKEN": DUMMY_CREDENTIAL,
            "AWS_ENDPOINT_URL": _endpoint_url(),
        }
    )
    return environment


def _error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}, separators=(",", ":")).encode()


def run(fn: LambdaFunction, event: str, invoked_arn: str) -> Invocation:
    """Run the handler once on `event` (JSON text) in a fresh node process; never raises for function errors."""
    request_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    log_stream = f"{now:%Y/%m/%d}/[{fn.version}]{uuid.uuid4().hex}"
    timeout = float(fn.timeout or 3)
    task_root = _task_root(fn)
    command = [_node_binary(), _bootstrap_path()]
    with tempfile.TemporaryDirectory(prefix="switchyard-invoke-") as scratch:
        result_file = os.path.join(scratch, "result.json")
        started = time.monotonic()
        deadline_ms = int(time.time() * 1000 + timeout * 1000)
        process = subprocess.Popen(
            [*command, result_file, request_id, str(deadline_ms), invoked_arn],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=task_root,
            env=_environment(fn, task_root, log_stream),
            # Its own process group, so a timeout also kills whatever the handler started.
            start_new_session=True,
        )
        timed_out = False
        try:
            output, _ = process.communicate(event.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            output, _ = process.communicate()
        duration_ms = (time.monotonic() - started) * 1000
        result: dict[str, Any] | None = None
        if not timed_out and os.path.exists(result_file):
            with open(result_file, encoding="utf-8") as handle:
                result = json.load(handle)

    text = output.decode("utf-8", errors="replace")
    if text and not text.endswith("\n"):
        text += "\n"
    function_error: str | None = None
    if result is not None and result.get("ok"):
        payload = result["payload"].encode("utf-8")
    elif result is not None:
        function_error = "Unhandled"
        payload = json.dumps(result["error"], separators=(",", ":")).encode("utf-8")
    elif timed_out:
        function_error = "Unhandled"
        message = f"Task timed out after {timeout:.2f} seconds"
        stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        text += f"{stamp} {request_id} {message}\n"
        payload = _error_payload("Sandbox.Timedout", f"RequestId: {request_id} Error: {message}")
    else:
        function_error = "Unhandled"
        code = process.returncode
        reason = f"signal: {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        if code == 0:
            reason = "Runtime exited without providing a reason"
            payload = _error_payload("Runtime.ExitError", f"RequestId: {request_id} Error: {reason}")
        else:
            message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
            payload = _error_payload("Runtime.ExitError", message)

    memory = ""
    if result is not None and isinstance(result.get("maxRSS"), int):
        memory = f"\tMax Memory Used: {math.ceil(result['maxRSS'] / 1024)} MB"
    log = (
        f"START RequestId: {request_id} Version: {fn.version}\n"
        f"{text}"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {math.ceil(duration_ms)} ms"
        f"\tMemory Size: {fn.memory_size} MB{memory}\t\n"
    )
    _save_log(fn, log_stream, log)
    return Invocation(payload, function_error, log)


def _save_log(fn: LambdaFunction, log_stream: str, log: str) -> None:
    backend = fn.logs_backend
    backend.ensure_log_group(fn.logs_group_name)
    backend.create_log_stream(fn.logs_group_name, log_stream)
    timestamp = unix_time_millis()
    events = [{"timestamp": timestamp, "message": line} for line in log.splitlines() if line]
    backend.put_log_events(fn.logs_group_name, log_stream, events)


def _log_tail(log: str) -> str:
    return base64.b64encode(log.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")


# --------------------------------------------------------------------------------------------
# Patch
# --------------------------------------------------------------------------------------------


def _runs_here(fn: LambdaFunction) -> bool:
    return (fn.run_time or "").startswith("nodejs") and (fn.package_type or "Zip") == "Zip"


def _event_text(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if body is None or body == "":
        return "{}"
    if not isinstance(body, str):
        return json.dumps(body)
    try:
        json.loads(body)
    except ValueError as error:
        raise InvalidRequestContentException(f"Could not parse request body into json: {error}") from error
    return body


def _wrap_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> Any:
        if not _runs_here(self):
            return original(self, body, request_headers, response_headers)
        event = _event_text(body)
        invocation_type = request_headers.get("x-amz-invocation-type") or "RequestResponse"
        invoked_arn = self.function_arn
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            threading.Thread(target=run, args=(self, event, invoked_arn), name="lambda-event", daemon=True).start()
            return b""
        invocation = run(self, event, invoked_arn)
        if invocation.function_error:
            response_headers["x-amz-function-error"] = invocation.function_error
        response_headers["x-amz-executed-version"] = str(self.version)
        response_headers["x-amz-log-result"] = _log_tail(invocation.log)
        return invocation.payload

    return invoke


def _wrap_get_param(original: Callable[..., Any]) -> Callable[..., Any]:
    def _get_param(self: LambdaResponse, param_name: str, if_none: Any = None) -> Any:
        # moto's Invoke asks for "qualifier", which is not the query parameter's name (Qualifier), and then
        # looks in the JSON payload: a Qualifier was ignored, a payload key "qualifier" taken for one, and a
        # payload that is not an object (an array) failed with a 500.
        if param_name == "qualifier":
            values = self.querystring.get("Qualifier")
            return values[0] if values else if_none
        return original(self, param_name, if_none)

    return _get_param


def patch_lambda_node() -> None:
    """Route Invoke of Node.js zip functions to a local node process; make Invoke read its Qualifier."""
    LambdaFunction.invoke = _wrap_invoke(LambdaFunction.invoke)  # type: ignore[method-assign]
    LambdaResponse._get_param = _wrap_get_param(LambdaResponse._get_param)  # type: ignore[method-assign]
