"""Step Functions task tokens for executions the local runner drives (cli/local/integrations.ts).

moto's SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat answer and do nothing. The local runner runs the
state machine in-process, so a `.waitForTaskToken` state's token lives there, while whoever completes it (a
Lambda function, `switchyard promote`) calls the emulator's Step Functions endpoint, as it would call AWS. Here the
runner registers each token it hands out and reads back how it was completed:

    POST /moto-api/switchyard/stepfunctions/task-tokens        {"token"}: a task now waits on this token
    POST /moto-api/switchyard/stepfunctions/task-tokens/read   {"token"}: {"status": "WAITING" | "SUCCEEDED" |
                                                                 "FAILED", "output"?, "error"?, "cause"?}
    POST /moto-api/switchyard/stepfunctions/task-tokens/close  {"token"}: the task ended (timed out): the token is
                                                                 no longer valid

As AWS answers (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html): a token
never issued is TaskDoesNotExist, one whose task already ended (completed, timed out) is TaskTimedOut, and output
that is not JSON is InvalidOutput. POST /moto-api/reset forgets every token.
"""

import json
import threading
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal.models import MotoAPIBackend
from moto.stepfunctions.responses import StepFunctionResponse

from control_endpoints import ControlError

_lock = threading.Lock()
_tokens: dict[str, dict[str, Any]] = {}


class _TaskError(JsonRESTError):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)


def _complete(token: str, outcome: dict[str, Any]) -> None:
    with _lock:
        current = _tokens.get(token)
        if current is None:
            raise _TaskError("TaskDoesNotExist", "Task does not exist anymore")
        if current["status"] != "WAITING":
            raise _TaskError("TaskTimedOut", "Task Timed Out")
        _tokens[token] = outcome


def _send_task_success(self: StepFunctionResponse) -> ActionResult:
    token = self._get_param("taskToken") or ""
    output = self._get_param("output") or ""
    try:
        json.loads(output)
    except (TypeError, ValueError) as error:
        raise _TaskError("InvalidOutput", f"output is not valid JSON: {error}") from error
    _complete(token, {"status": "SUCCEEDED", "output": output})
    return EmptyResult()


def _send_task_failure(self: StepFunctionResponse) -> ActionResult:
    token = self._get_param("taskToken") or ""
    _complete(
        token,
        {"status": "FAILED", "error": self._get_param("error") or "", "cause": self._get_param("cause") or ""},
    )
    return EmptyResult()


def _send_task_heartbeat(self: StepFunctionResponse) -> ActionResult:
    token = self._get_param("taskToken") or ""
    with _lock:
        current = _tokens.get(token)
    if current is None:
        raise _TaskError("TaskDoesNotExist", "Task does not exist anymore")
    if current["status"] != "WAITING":
        raise _TaskError("TaskTimedOut", "Task Timed Out")
    return EmptyResult()


def _token_of(body: dict[str, Any]) -> str:
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ControlError('expected {"token": <the task token>}')
    return token


def control_register(body: dict[str, Any]) -> dict[str, Any]:
    """A task waits on this token from now on."""
    token = _token_of(body)
    with _lock:
        _tokens[token] = {"status": "WAITING"}
    return {"token": token, "status": "WAITING"}


def control_read(body: dict[str, Any]) -> dict[str, Any]:
    """How a registered token was completed, or WAITING."""
    token = _token_of(body)
    with _lock:
        current = _tokens.get(token)
    if current is None:
        raise ControlError(f"task token {token[:16]}... was never registered", status=404)
    return {"token": token, **current}


def control_close(body: dict[str, Any]) -> dict[str, Any]:
    """The task ended without its token (a timeout): completing it now is TaskTimedOut, as on AWS."""
    token = _token_of(body)
    with _lock:
        if _tokens.get(token, {}).get("status") == "WAITING":
            _tokens[token] = {"status": "TIMED_OUT"}
    return {"token": token}


def patch_sfn_task_tokens() -> None:
    """Route SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat here; a reset forgets the tokens."""
    StepFunctionResponse.send_task_success = _send_task_success  # type: ignore[method-assign]
    StepFunctionResponse.send_task_failure = _send_task_failure  # type: ignore[method-assign]
    StepFunctionResponse.send_task_heartbeat = _send_task_heartbeat  # type: ignore[method-assign]
    original_reset = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        original_reset(self)
        with _lock:
            _tokens.clear()

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]
