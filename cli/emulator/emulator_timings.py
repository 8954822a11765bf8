"""How long the emulator's slow AWS behaviours take: one set of timings per emulator process.

AWS takes time where moto takes none: a newly registered target is `initial` until the load balancer's first
health check passes, a deregistered one is `draining` for the target group's deregistration delay, and an ECS
task goes through PROVISIONING and PENDING before RUNNING. The emulator mirrors each with a timing:

    healthCheckScale     a new target is `initial` for the group's HealthCheckIntervalSeconds x this
                         (AWS: "After your target is registered, it must pass one health check to be considered
                         healthy", one check every HealthCheckIntervalSeconds;
                         https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html)
    deregistrationScale  a deregistered target is `draining` for the group's deregistration_delay.timeout_seconds x
                         this (the worst case: a target without connections may finish at once;
                         https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay)
    taskStartSeconds     an ECS task is PROVISIONING, PENDING, ACTIVATING, then RUNNING after this many seconds
                         (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html)

A scale of 1 is AWS's own duration, 0 is none (moto's behaviour). The launch defaults are `switchyard local`'s:
AWS-like order of events, a few seconds in all. `--timings '{"healthCheckScale": 0}'` at launch changes the
defaults of that process (the test harness sets all three to 0); the control

    GET  /moto-api/switchyard/timings
    POST /moto-api/switchyard/timings  {"healthCheckScale"?, "deregistrationScale"?, "taskStartSeconds"?}

reads or changes them until the next POST /moto-api/reset, which restores the launch timings.
"""

import json
import math
import threading
from typing import Any

from moto.moto_api._internal.models import MotoAPIBackend

from control_endpoints import ControlError

# switchyard local: a default target group (30 s interval, 300 s delay) is `initial` for 0.9 s, `draining` for 1.5 s;
# a task starts in 0.6 s.
LOCAL_DEFAULTS: dict[str, float] = {"healthCheckScale": 0.03, "deregistrationScale": 0.005, "taskStartSeconds": 0.6}
# Beyond this an emulated wait would outlast any test or local run: a typo rather than an intent.
MAXIMUM = {"healthCheckScale": 10.0, "deregistrationScale": 10.0, "taskStartSeconds": 3600.0}

_lock = threading.Lock()
_launch: dict[str, float] = dict(LOCAL_DEFAULTS)
_current: dict[str, float] = dict(LOCAL_DEFAULTS)


def validate(body: Any, where: str) -> dict[str, float]:
    """The timings in `body` (a subset of the three), each a finite number from 0 to its maximum."""
    if not isinstance(body, dict):
        raise ControlError(f"{where} must be a JSON object like {json.dumps(LOCAL_DEFAULTS)}")
    unknown = sorted(set(body) - set(LOCAL_DEFAULTS))
    if unknown:
        raise ControlError(f"{where} has unknown keys {unknown}; allowed: {sorted(LOCAL_DEFAULTS)}")
    timings: dict[str, float] = {}
    for name, value in body.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ControlError(f"{where}: {name} is {value!r}; expected a number")
        if not 0 <= value <= MAXIMUM[name]:
            raise ControlError(f"{where}: {name} is {value:g}; expected a number from 0 to {MAXIMUM[name]:g}")
        timings[name] = float(value)
    return timings


def configure_launch(text: str | None) -> None:
    """Apply the launcher's --timings JSON as this process's defaults (what a reset restores)."""
    if text is None:
        return
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise ControlError(f"--timings is not JSON: {error}") from error
    with _lock:
        _launch.update(validate(body, "--timings"))
        _current.clear()
        _current.update(_launch)


def get(name: str) -> float:
    """The current value of one timing."""
    return _current[name]


def control_timings(body: dict[str, Any]) -> dict[str, Any]:
    """Change some timings until the next reset (an empty body changes none); answer all of them."""
    timings = validate(body, "timings")
    with _lock:
        _current.update(timings)
        return {**_current, "launch": dict(_launch)}


def patch_reset() -> None:
    """POST /moto-api/reset also restores the launch timings, so one test's slow emulator does not leak."""
    original = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        original(self)
        with _lock:
            _current.clear()
            _current.update(_launch)

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]
