"""StopExecution's `error` and `cause`, kept on the execution and returned by DescribeExecution, as Step Functions does.

moto 5.2.1 reads only StopExecution's executionArn: the execution is ABORTED with neither error nor cause, so
DescribeExecution of a stopped execution never says why it was stopped. Step Functions takes both with the stop
(`error` 0 to 256 characters, `cause` 0 to 32,768; longer is a ValidationException):
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
and DescribeExecution returns them (absent when the stop gave none):
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
The same two fields are the ExecutionAborted event's details:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionAbortedEventDetails.html

Only the stop that ends a RUNNING execution gives it its error and cause: a later StopExecution of the same execution
does not replace why it ended. (`switchyard deploy --follow` and `status --follow` print them: cli/stack/follow.ts.)
"""

from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

# The request's length constraints (API_StopExecution.html, "Request Parameters").
LIMITS = {"error": 256, "cause": 32768}


class _ValidationException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def _checked(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > LIMITS[name]:
        raise _ValidationException(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {LIMITS[name]}"
        )
    return value


def _stop_execution(self: StepFunctionResponse) -> ActionResult:
    arn = self._get_param("executionArn")
    error = _checked("error", self._get_param("error"))
    cause = _checked("cause", self._get_param("cause"))
    backend = self.stepfunction_backend
    # ExecutionDoesNotExist or InvalidArn before anything changes, as moto's own StopExecution raises them.
    was_running = backend.describe_execution(arn).status == "RUNNING"
    execution = backend.stop_execution(arn)
    if was_running:
        execution.error = error
        execution.cause = cause
    return ActionResult({"stopDate": execution.stop_date})


def patch_sfn_stop_execution() -> None:
    """Route StopExecution here: moto's stop, then the error and cause kept for DescribeExecution."""
    StepFunctionResponse.stop_execution = _stop_execution  # type: ignore[method-assign]
