"""An emulator crash answered as what it is, for Switchyard's emulator.

When moto raises an unexpected exception (a gap or a bug in the emulator), Flask answers an HTML 500 page. The
AWS SDK cannot parse it, reports a `SyntaxError ... "<!doctype"` deserialisation error, and, because the status
is 5xx, retries it and lets the pipeline take it for a transient AWS error. No AWS API answers that way, so the
emulator says plainly instead that it failed: an error named `EmulatorFailure` that names the emulated service
and call and the exception, in the protocol the SDK expects (JSON or XML), with a client status (400) so neither
the SDK nor the pipeline retries a deterministic failure as if AWS were busy. The traceback goes to the
emulator's log. Errors that moto raises on purpose (its AWS error responses) are not touched.
"""

import json
import sys
import traceback
from typing import Any, Callable
from xml.sax.saxutils import escape

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

ERROR_NAME = "EmulatorFailure"


def _call(service: str) -> str:
    """The emulated call: the JSON protocol's X-Amz-Target, the query protocol's Action, else method and path."""
    target = request.headers.get("X-Amz-Target", "")
    if target:
        return f"{service} {target.rsplit('.', 1)[-1]}"
    action = request.values.get("Action")
    if action:
        return f"{service} {action}"
    return f"{service} {request.method} {request.path}"


def _answer(service: str, error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return error
    call = _call(service)
    message = (
        f"the emulator failed on {call}: {type(error).__name__}: {error} "
        "(a failure of Switchyard's emulator, not an AWS error; its log has the traceback)"
    )
    print(f"emulator failure on {call}:", file=sys.stderr)
    traceback.print_exception(error, file=sys.stderr)
    headers = {"x-amzn-ErrorType": ERROR_NAME}
    content_type = request.headers.get("Content-Type", "")
    if request.headers.get("X-Amz-Target") or "json" in content_type:
        body = json.dumps({"__type": ERROR_NAME, "message": message})
        return Response(body, status=400, headers=headers, mimetype="application/x-amz-json-1.1")
    text = f"<Code>{ERROR_NAME}</Code><Message>{escape(message)}</Message>"
    if service == "ec2":
        body = f"<Response><Errors><Error>{text}</Error></Errors><RequestID>emulator</RequestID></Response>"
    else:
        body = f"<ErrorResponse><Error><Type>Sender</Type>{text}</Error><RequestId>emulator</RequestId></ErrorResponse>"
    return Response(body, status=400, headers=headers, mimetype="text/xml")


def reporting_failures(create_backend_app: Callable[[Any], Flask]) -> Callable[[Any], Flask]:
    """Wraps moto's per-service app factory so each app answers an unexpected exception as EmulatorFailure."""

    def create(service: Any) -> Flask:
        app = create_backend_app(service)
        app.register_error_handler(Exception, lambda error: _answer(str(service), error))
        return app

    return create
