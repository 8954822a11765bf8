"""The emulator's test controls: a WSGI middleware in front of moto that answers /moto-api/switchyard/*.

Each control is a (method, route) -> handler entry of the table moto_launcher.py builds; a handler takes the
request's JSON object (an empty one for GET) and returns the JSON object to answer with. A handler raises
ControlError for a bad request, which becomes `{"error": message}` with its HTTP status. Every other path goes
to moto unchanged.
"""

import json
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

CONTROL_PREFIX = "/moto-api/switchyard/"
DEFAULT_REGION = "us-east-1"

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlError(Exception):
    """A bad request to a /moto-api/switchyard/ control; becomes a JSON error response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def controls(moto_app: Any, routes: dict[tuple[str, str], Handler]) -> Any:
    """WSGI middleware: answer /moto-api/switchyard/* here, pass everything else to moto."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return moto_app(environ, start_response)
        request = Request(environ)
        handler = routes.get((request.method, path[len(CONTROL_PREFIX) :].rstrip("/")))
        try:
            if handler is None:
                known = ", ".join(f"{method} {CONTROL_PREFIX}{route}" for method, route in routes)
                raise ControlError(f"no control {request.method} {path}; known: {known}", status=404)
            body = json.loads(request.get_data(as_text=True) or "{}") if request.method == "POST" else {}
            if not isinstance(body, dict):
                raise ControlError("the request body must be a JSON object")
            status, payload = 200, handler(body)
        except json.JSONDecodeError as error:
            status, payload = 400, {"error": f"the request body is not JSON: {error}"}
        except ControlError as error:
            status, payload = error.status, {"error": str(error)}
        response = Response(json.dumps(payload), status=status, mimetype="application/json")
        return response(environ, start_response)

    return app
