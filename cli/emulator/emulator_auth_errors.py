"""How the emulator refuses a request it will not serve (emulator_auth.py): HTTP 403 in the error shape of the
protocol the caller speaks, so an SDK or the AWS CLI reports the error by its code instead of failing to parse it.

The codes are AWS's own for the same refusals:
  - a key id AWS does not know: InvalidClientTokenId (query protocol) and MissingAuthenticationToken without one,
    both 403 (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html); UnrecognizedClientException
    in the JSON protocols; AuthFailure in EC2's
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); InvalidAccessKeyId and
    AccessDenied in S3's `<Error>` document (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
  - a request that is not the emulator's to answer at all (a browser's, a foreign Host): AccessDenied(Exception).
"""

import json
import re
import uuid
from typing import Any
from xml.sax.saxutils import escape

# Why a request is refused: no credentials, credentials of someone else, or not a request this emulator serves.
MISSING, UNKNOWN_KEY, FORBIDDEN = "missing", "unknown-key", "forbidden"

CODES: dict[str, dict[str, str]] = {
    "json": {
        MISSING: "MissingAuthenticationTokenException",
        UNKNOWN_KEY: "UnrecognizedClientException",
        FORBIDDEN: "AccessDeniedException",
    },
    "rest-json": {
        MISSING: "MissingAuthenticationTokenException",
        UNKNOWN_KEY: "UnrecognizedClientException",
        FORBIDDEN: "AccessDeniedException",
    },
    "query": {MISSING: "MissingAuthenticationToken", UNKNOWN_KEY: "InvalidClientTokenId", FORBIDDEN: "AccessDenied"},
    "ec2": {MISSING: "AuthFailure", UNKNOWN_KEY: "AuthFailure", FORBIDDEN: "UnauthorizedOperation"},
    "s3": {MISSING: "AccessDenied", UNKNOWN_KEY: "InvalidAccessKeyId", FORBIDDEN: "AccessDenied"},
}
# Services of the query protocol among those a pipeline or its tests call (their SDKs send form-encoded bodies).
QUERY_SERVICES = {"iam", "sts", "elasticloadbalancing", "cloudformation", "sns", "autoscaling"}
REST_JSON_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/")


def protocol(environ: dict[str, Any], service: str | None) -> str:
    """The protocol of a request, from its headers, its credential scope's service and its path."""
    content_type = environ.get("CONTENT_TYPE", "")
    if environ.get("HTTP_X_AMZ_TARGET") or "amz-json" in content_type or environ.get("HTTP_SMITHY_PROTOCOL"):
        return "json"
    if service == "ec2":
        return "ec2"
    if service == "s3":
        return "s3"
    if service in QUERY_SERVICES or content_type.startswith("application/x-www-form-urlencoded"):
        return "query"
    if REST_JSON_PATH.match(environ.get("PATH_INFO", "")):
        return "rest-json"
    return "s3"


def refusal(environ: dict[str, Any], service: str | None, reason: str, message: str) -> tuple[str, list, bytes]:
    """Status, headers and body of a 403 for an AWS request, in its protocol's error shape."""
    kind = protocol(environ, service)
    code = CODES[kind][reason]
    request_id = str(uuid.uuid4())
    text = escape(message)
    if kind in ("json", "rest-json"):
        payload = {"__type": code, "message": message} if kind == "json" else {"message": message}
        content_type = "application/x-amz-json-1.1" if kind == "json" else "application/json"
        body = json.dumps(payload).encode()
        headers = [("Content-Type", content_type), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)]
        return "403 Forbidden", headers, body
    if kind == "query":
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{text}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    elif kind == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{text}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    else:
        xml = f"<Error><Code>{code}</Code><Message>{text}</Message><RequestId>{request_id}</RequestId></Error>"
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}'.encode()
    return "403 Forbidden", [("Content-Type", "application/xml"), ("x-amzn-RequestId", request_id)], body


def control_refusal(message: str) -> tuple[str, list, bytes]:
    """A refused /moto-api/ request: the controls' own JSON error shape (control_endpoints.py)."""
    return "403 Forbidden", [("Content-Type", "application/json")], json.dumps({"error": message}).encode()
