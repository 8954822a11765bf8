"""The emulator serves only the processes that launched it: a WSGI middleware in front of everything else.

Why: the emulator runs builds and Lambda functions as the user who started it, so whoever can send it a request can
run commands. A loopback port is reachable from every local user and, through DNS rebinding or a cross-origin form
post, from any web page the user opens. So, before moto sees a request:

  1. The Host header must name this server (127.0.0.1:<port>, localhost:<port> or a name under .localhost, which
     browsers resolve to loopback themselves, RFC 6761): a DNS-rebound page sends its own domain and is refused.
  2. No browser request is served: one with an Origin header, or a CORS preflight, is refused, and no response
     carries an Access-Control-* header (moto turns flask_cors on for every origin; this takes it off again).
  3. An AWS request must be signed with the access key id generated for this launch: the Credential of its SigV4
     Authorization header, or X-Amz-Credential of a presigned URL
     (https://docs.aws.amazon.com/IAM/latest/UserGuide/aws-signing-authentication-methods.html,
     https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html), or S3's SigV2 equivalents. Anything else gets a 403 in the
     protocol's error shape (emulator_auth_errors.py). The signature itself is not recomputed: moto never did, and
     the emulator's own raw query-API calls (cli/emulator/functions.ts, default-network.ts, the tests' hook
     stand-ins) send the credential scope without a signature. The key id is 28 random characters known only to
     the launching process and the processes the emulator starts, as AWS_ACCESS_KEY_ID in their environment.
  4. A control (/moto-api/...: moto's reset and dashboard, Switchyard's controls) must carry the launch's secret
     access key in the X-Switchyard-Emulator-Secret header.

The credentials come from the environment of the launcher (never its command line, which `ps` shows):
SWITCHYARD_EMULATOR_ACCESS_KEY_ID and SWITCHYARD_EMULATOR_SECRET_ACCESS_KEY, set by cli/emulator/moto.ts.
"""

import hmac
import os
import re
import sys
from typing import Any
from urllib.parse import parse_qs

from emulator_auth_errors import FORBIDDEN, MISSING, UNKNOWN_KEY, control_refusal, refusal

ACCESS_KEY_ENV = "SWITCHYARD_EMULATOR_ACCESS_KEY_ID"
SECRET_KEY_ENV = "SWITCHYARD_EMULATOR_SECRET_ACCESS_KEY"
SECRET_HEADER = "X-Switchyard-Emulator-Secret"
CONTROL_PREFIX = "/moto-api/"
ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
MIN_SECRET_LENGTH = 32
# "AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request, SignedHeaders=..., Signature=..."
CREDENTIAL = re.compile(r"Credential=([^/,\s]*)/[^/,\s]*/[^/,\s]*/([^/,\s]*)/")
SIGV2 = re.compile(r"^AWS ([^:\s]+):")
FIX = (
    "sign requests with the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY the emulator was launched with "
    "(`switchyard local --keep` prints them)"
)

_launch: dict[str, str] = {}


class AuthConfigError(Exception):
    """The launcher was started without usable credentials."""


def configure_launch() -> None:
    """Take this launch's credentials out of the environment (the executor and functions get them explicitly)."""
    key_id = os.environ.pop(ACCESS_KEY_ENV, "")
    secret = os.environ.pop(SECRET_KEY_ENV, "")
    if not ACCESS_KEY_ID.match(key_id):
        raise AuthConfigError(
            f"{ACCESS_KEY_ENV} must hold 16 to 128 capital letters and digits (cli/emulator/moto.ts generates one "
            "per launch); the emulator serves no request without it"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise AuthConfigError(f"{SECRET_KEY_ENV} must hold at least {MIN_SECRET_LENGTH} characters")
    _launch.update(accessKeyId=key_id, secretAccessKey=secret)


def credential_environment() -> dict[str, str]:
    """AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a process the emulator starts (build executor, function)."""
    return {"AWS_ACCESS_KEY_ID": _launch["accessKeyId"], "AWS_SECRET_ACCESS_KEY": _launch["secretAccessKey"]}


def _credential(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """The access key id and service of a request, from its Authorization header or its presigned URL's query."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    match = CREDENTIAL.search(authorization)
    if match:
        return match.group(1), match.group(2)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    match = CREDENTIAL.search(f"Credential={query.get('X-Amz-Credential', [''])[0]}")
    if match:
        return match.group(1), match.group(2)
    # S3's Signature Version 2, which the AWS CLI still uses for `aws s3 presign` against a custom endpoint:
    # "AWS <key id>:<signature>", or AWSAccessKeyId in the query
    # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html).
    legacy = SIGV2.match(authorization)
    key_id = legacy.group(1) if legacy else query.get("AWSAccessKeyId", [None])[0]
    return (key_id, "s3") if key_id else (None, None)


def _host_allowed(host: str, port: int) -> bool:
    host = host.lower()
    return host in (f"127.0.0.1:{port}", f"localhost:{port}") or host.endswith(f".localhost:{port}")


def guarded(app: Any, port: int) -> Any:
    """WSGI middleware: the checks above, then `app`, whose responses lose every Access-Control-* header."""
    expected_key = _launch["accessKeyId"].encode()
    expected_secret = _launch["secretAccessKey"].encode()

    def guard(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        key_id, service = _credential(environ)
        control = path.startswith(CONTROL_PREFIX)
        host = environ.get("HTTP_HOST", "")
        problem: tuple[str, str] | None = None
        if not _host_allowed(host, port):
            problem = (FORBIDDEN, f"Host {host!r} is not this emulator: use http://127.0.0.1:{port}")
        elif environ.get("HTTP_ORIGIN") is not None or environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
            problem = (FORBIDDEN, "the emulator answers no browser request (Origin header or CORS preflight)")
        elif control:
            offered = environ.get("HTTP_X_SWITCHYARD_EMULATOR_SECRET", "").encode()
            if not hmac.compare_digest(offered, expected_secret):
                problem = (MISSING, f"{path} needs the {SECRET_HEADER} header with the emulator's secret access key")
        elif key_id is None:
            problem = (MISSING, f"the request is not signed: {FIX}")
        elif not hmac.compare_digest(key_id.encode(), expected_key):
            problem = (UNKNOWN_KEY, f"the access key id is not this emulator's: {FIX}")
        if problem is not None:
            # In the server's log (the caller sees it too): which request, and why, never a credential.
            print(f"emulator_auth: refused {environ.get('REQUEST_METHOD')} {path}: {problem[1]}", file=sys.stderr)
            status, headers, body = (
                control_refusal(problem[1]) if control else refusal(environ, service, problem[0], problem[1])
            )
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]

        def without_cors(status: str, headers: list, exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info)

        return app(environ, without_cors)

    return guard
