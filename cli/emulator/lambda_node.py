"""Lambda Invoke for Node.js functions without Docker, for Switchyard's emulator.

moto 5.2.1 runs a function's code only in a Docker container. For a function whose Runtime starts with
`nodejs` and whose PackageType is Zip, LambdaFunction.invoke (reached by Invoke and InvokeAsync after moto
has resolved the qualifier or alias) is replaced here:

- The code zip moto keeps (`code_bytes`, from ZipFile or from the S3 object at creation) is unpacked once
  into `<cache>/<code sha256 hex>/`, the function's LAMBDA_TASK_ROOT and working directory. The cache
  ($SWITCHYARD_LAMBDA_CACHE, else $XDG_CACHE_HOME/switchyard/lambda, else ~/.cache/switchyard/lambda) is
  private to the user: checked before each use, unpacked code re-verified (lambda_node_cache.py).
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

This module patches moto; the code on disk is in lambda_node_code.py, the Node.js bootstrap in
lambda_node_bootstrap.py, one invocation in lambda_node_invoke.py.
"""

import base64
import json
import threading
from typing import Any, Callable

from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError

from lambda_node_invoke import run, set_endpoint

__all__ = ["patch_lambda_node", "set_endpoint"]

LOG_TAIL_BYTES = 4096


class InvalidRequestContentException(JsonRESTError):
    """The Invoke payload is not JSON (HTTP 400, as Lambda answers)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidRequestContentException", message)


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
