"""Injected AWS faults, for Switchyard's emulator: a seeded share of the calls to chosen services fail as AWS fails.

AWS answers a call it is too busy for with a throttling error (HTTP 400 `ThrottlingException` / `Throttling`,
HTTP 429 for Lambda, 503 `SlowDown` for S3) and an internal failure with HTTP 500; the SDKs retry both
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html, and for each service its common
errors: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/CommonErrors.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html). A 500 can also come
after AWS applied the call (the answer is lost on the way back); a retry must then find the work done. So a fault
is injected either BEFORE the call reaches moto (nothing applied) or AFTER moto applied it (moto's answer replaced).

    POST /moto-api/switchyard/faults  {"seed": 7, "rules": [{"service": "dynamodb", "operations": ["PutItem"],
                                       "rate": 0.2, "when": "before" | "after", "error": "throttle" | "500"}]}
    GET  /moto-api/switchyard/faults  the rules and every fault injected, counted by service, operation, when, error

Whether the n-th call of an operation fails depends only on the seed, the rule, the operation and n, so the same
calls fail in every run whatever other calls interleave. Posting `{"rules": []}` or POST /moto-api/reset clears
the rules and the counts. The service is the SigV4 credential scope's (dynamodb, codebuild, ecs,
elasticloadbalancing, s3, lambda, monitoring, codecommit), as moto itself routes a request.
"""

import hashlib
import io
import json
import re
import threading
from typing import Any, Iterable
from urllib.parse import parse_qs

from control_endpoints import ControlError

WHEN = ("before", "after")
ERRORS = ("throttle", "500")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

_lock = threading.Lock()
_state: dict[str, Any] = {"seed": 0, "rules": [], "calls": {}, "faults": {}}


def _clear() -> None:
    _state.update(seed=0, rules=[], calls={}, faults={})


def _rule(raw: Any, index: int) -> dict[str, Any]:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise ControlError(f"{where} must be an object like {{\"service\": \"dynamodb\", \"rate\": 0.2}}")
    service, rate = raw.get("service"), raw.get("rate")
    operations = raw.get("operations", [])
    when, error = raw.get("when", "before"), raw.get("error", "throttle")
    if not isinstance(service, str) or not service:
        raise ControlError(f"{where}.service must be a SigV4 service name such as dynamodb, ecs, elasticloadbalancing")
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
        raise ControlError(f"{where}.rate must be a number from 0 to 1 (the share of calls that fail)")
    if not isinstance(operations, list) or not all(isinstance(op, str) for op in operations):
        raise ControlError(f"{where}.operations must be a list of operation names (empty or absent: every one)")
    if when not in WHEN:
        raise ControlError(f"{where}.when must be one of {', '.join(WHEN)}")
    if error not in ERRORS:
        raise ControlError(f"{where}.error must be one of {', '.join(ERRORS)}")
    return {"service": service, "operations": operations, "rate": float(rate), "when": when, "error": error}


def control_faults(body: dict[str, Any]) -> dict[str, Any]:
    """POST: replace the rules (and reset the counts) with `rules`, drawn with `seed`."""
    rules, seed = body.get("rules"), body.get("seed", 0)
    if not isinstance(rules, list):
        raise ControlError('the body must be {"seed": <int>, "rules": [...]} ({"rules": []} clears)')
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ControlError("seed must be an integer")
    parsed = [_rule(raw, index) for index, raw in enumerate(rules)]
    with _lock:
        _clear()
        _state.update(seed=seed, rules=parsed)
    return control_fault_counts({})


def control_fault_counts(_body: dict[str, Any]) -> dict[str, Any]:
    """GET: the rules, and each fault injected since they were set."""
    with _lock:
        faults = [
            {"service": s, "operation": o, "when": w, "error": e, "count": n}
            for (s, o, w, e), n in sorted(_state["faults"].items())
        ]
        calls = [{"service": s, "operation": o, "count": n} for (s, o), n in sorted(_state["calls"].items())]
        return {
            "seed": _state["seed"],
            "rules": list(_state["rules"]),
            "faults": faults,
            "calls": calls,
            "total": sum(f["count"] for f in faults),
        }


def _operation(environ: dict[str, Any]) -> str:
    """The call's operation: X-Amz-Target's, or the query protocol's Action (a form body is read once, put back)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if "Action" not in query and length > 0 and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        query = parse_qs(body.decode("utf-8", "replace"))
    action = query.get("Action", [""])[0]
    return action or f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"


def _draw(seed: int, index: int, service: str, operation: str, n: int) -> float:
    digest = hashlib.sha256(f"{seed}:{index}:{service}:{operation}:{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _decide(service: str, operation: str) -> dict[str, Any] | None:
    """Counts the call, and returns the rule that makes it fail, if one does (the first that matches and draws it)."""
    with _lock:
        if not _state["rules"]:
            return None
        key = (service, operation)
        n = _state["calls"].get(key, 0)
        _state["calls"][key] = n + 1
        for index, rule in enumerate(_state["rules"]):
            if rule["service"] != service or (rule["operations"] and operation not in rule["operations"]):
                continue
            if _draw(_state["seed"], index, service, operation, n) < rule["rate"]:
                return rule
        return None


def _count(service: str, operation: str, rule: dict[str, Any]) -> None:
    """Counts one fault injected."""
    fault = (service, operation, rule["when"], rule["error"])
    with _lock:
        _state["faults"][fault] = _state["faults"].get(fault, 0) + 1


def _error_response(service: str, operation: str, environ: dict[str, Any], error: str) -> tuple[str, list, bytes]:
    """The error AWS gives, in the service's protocol (JSON with __type, query XML, S3 XML, Lambda REST JSON)."""
    throttle = error == "throttle"
    message = f"injected by the emulator's fault control: {operation} {'throttled' if throttle else 'failed'}"
    if service == "lambda":
        code, status = ("TooManyRequestsException", "429") if throttle else ("ServiceException", "500")
        body = json.dumps({"Type": "Service", "message": message}).encode()
        return f"{status} Error", [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], body
    if service == "s3":
        code, status = ("SlowDown", "503") if throttle else ("InternalError", "500")
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
        return f"{status} Error", [("Content-Type", "application/xml")], body.encode()
    if environ.get("HTTP_X_AMZ_TARGET"):
        code, status = ("ThrottlingException", "400") if throttle else ("InternalFailure", "500")
        if service == "dynamodb" and not throttle:
            code = "InternalServerError"
        body = json.dumps({"__type": code, "message": message}).encode()
        return f"{status} Error", [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", code)], body
    code, status, kind = ("Throttling", "400", "Sender") if throttle else ("InternalFailure", "500", "Receiver")
    body = (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>fault</RequestId></ErrorResponse>"
    )
    return f"{status} Error", [("Content-Type", "text/xml")], body.encode()


def injecting_faults(moto_app: Any) -> Any:
    """WSGI middleware in front of moto: applies the fault rules to AWS calls; /moto-api/reset clears them."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api/"):
            if path.rstrip("/") == "/moto-api/reset":
                with _lock:
                    _clear()
            return moto_app(environ, start_response)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not scope or not _state["rules"]:
            return moto_app(environ, start_response)
        service = scope.group(1)
        operation = _operation(environ)
        rule = _decide(service, operation)
        if rule is None:
            return moto_app(environ, start_response)
        if rule["when"] == "after":
            answer = _applied(moto_app, environ)
            # moto refused the call: nothing was applied, and its own error is the truthful answer.
            if not answer[0].startswith("2"):
                start_response(answer[0], answer[1])
                return [answer[2]]
        _count(service, operation, rule)
        status, headers, body = _error_response(service, operation, environ, rule["error"])
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    return app


def _applied(moto_app: Any, environ: dict[str, Any]) -> tuple[str, list, bytes]:
    """Lets moto apply the call, and keeps its whole answer (status, headers, body) instead of sending it."""
    captured: dict[str, Any] = {"status": "500 Error", "headers": []}

    def capture(status: str, headers: list, _exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return lambda _data: None

    chunks = moto_app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return captured["status"], captured["headers"], body
