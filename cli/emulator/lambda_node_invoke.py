"""One Lambda invocation of a Node.js function in the emulator: a fresh `node` process running the bootstrap
with the function's environment, its payload or error as Lambda reports them (timeouts, crashes), and its log
(START, output, END, REPORT) written to CloudWatch Logs. See lambda_node.py for the behaviour.
"""

import json
import math
import os
import signal
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.utils import unix_time_millis

import emulator_auth
from lambda_node_code import bootstrap_path, cache_root, node_binary, task_root_of

# Lambda gives a function its role's session credentials; here, the emulator's own key pair (the only key id it
# serves, emulator_auth.py) and a stand-in session token.
DUMMY_CREDENTIAL = "testing"
_endpoint: str | None = None


def set_endpoint(host: str, port: int) -> None:
    """The URL functions get as AWS_ENDPOINT_URL: this server, reachable from a local process."""
    global _endpoint
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    _endpoint = f"http://{reachable}:{port}"


def _endpoint_url() -> str:
    return _endpoint or f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"


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
            "LAMBDA_RUNTIME_DIR": cache_root(),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            **emulator_auth.credential_environment(),
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
    task_root = task_root_of(fn)
    command = [node_binary(), bootstrap_path()]
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
