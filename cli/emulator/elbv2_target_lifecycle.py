"""The life of an ELBv2 target as AWS reports it, for Switchyard's emulator (moto 5.2.1 reports every registered
target `healthy` at once and forgets a deregistered one at once).

- A target group that no listener uses: its targets are `unused`, Target.NotInUse ("Target group is not
  configured to receive traffic from the load balancer"); the load balancer does not health-check them
  (elbv2_target_usage.py).
- A newly registered target is `initial`: Elb.RegistrationInProgress until it can be checked (an ECS task's
  target is listed from the task's start and checked once the task is RUNNING; ECS registers it while the task
  is ACTIVATING), then Elb.InitialHealthChecking
  until it passes its first health check, HealthCheckIntervalSeconds later ("After your target is registered,
  it must pass one health check to be considered healthy"), then `healthy`. The checks start when both the target
  is registered and its group is in use.
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
  https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
- A deregistered target stays listed as `draining`, Target.DeregistrationInProgress, for the group's
  deregistration_delay.timeout_seconds, then is gone (registering it again ends the draining).
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay
  https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html

Durations are the group's own settings times the emulator's scales (emulator_timings.py); with a scale of 0 that
state never shows. The clocks live on moto's target groups, so POST /moto-api/reset drops them.
"""

import time
from typing import Any, Callable

from moto.elbv2.models import ELBv2Backend, FakeTargetGroup

import emulator_timings
from elbv2_target_usage import in_use_since

CHECKS_FROM = "switchyard_checks_from"
DRAINING = "switchyard_draining"

NOT_IN_USE = ("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
REGISTERING = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
CHECKING = ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
LEAVING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")


def _seconds(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _checks_from(group: FakeTargetGroup) -> dict[str, float]:
    return group.__dict__.setdefault(CHECKS_FROM, {})


def _draining(group: FakeTargetGroup) -> dict[str, tuple[dict[str, Any], float]]:
    """Target id -> (the target as registered, monotonic time its draining ends); expired entries removed."""
    draining = group.__dict__.setdefault(DRAINING, {})
    now = time.monotonic()
    for target_id in [key for key, (_, until) in draining.items() if until <= now]:
        del draining[target_id]
    return draining


def checkable_from(group: FakeTargetGroup, target_id: str, at: float) -> None:
    """The target's health checks can start at `at` (monotonic): an ECS task's target once the task runs."""
    _checks_from(group)[target_id] = at


def lifecycle_status(group: FakeTargetGroup, target_id: str) -> tuple[str, str, str] | None:
    """(state, reason, description) of a target that is not plainly healthy, or None for moto's own answer."""
    if target_id not in group.targets:
        entry = _draining(group).get(target_id)
        return LEAVING if entry is not None else None
    since = in_use_since(group)
    if since is None:
        return NOT_IN_USE
    now = time.monotonic()
    registered = _checks_from(group).get(target_id, 0.0)
    if now < registered:
        return REGISTERING
    interval = _seconds(group.health_check_interval_seconds, 30.0) * emulator_timings.get("healthCheckScale")
    if now < max(registered, since) + interval:
        return CHECKING
    return None


def draining_targets(group: FakeTargetGroup) -> list[dict[str, Any]]:
    """The group's deregistered targets that are still draining, as they were registered."""
    return [dict(target) for target, _ in _draining(group).values()]


def _wrap_register(original: Callable[..., None]) -> Callable[..., None]:
    def register(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
        original(self, targets)
        now = time.monotonic()
        for target in targets:
            checkable_from(self, target["Id"], now)
            _draining(self).pop(target["Id"], None)

    return register


def _wrap_deregister(original: Callable[..., None]) -> Callable[..., None]:
    def deregister(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
        leaving = {target["Id"]: self.targets.get(target["Id"]) for target in targets}
        original(self, targets)
        delay = _seconds(self.attributes.get("deregistration_delay.timeout_seconds"), 300.0)
        seconds = delay * emulator_timings.get("deregistrationScale")
        for target_id, registered in leaving.items():
            _checks_from(self).pop(target_id, None)
            if registered is not None and seconds > 0:
                _draining(self)[target_id] = (registered, time.monotonic() + seconds)

    return deregister


def _wrap_describe(original: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def describe_target_health(self: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]) -> list[Any]:
        result = original(self, target_group_arn, targets)
        group = self.target_groups.get(target_group_arn)
        if not targets and group is not None:
            result += [group.health_for(target, self.ec2_backend) for target in draining_targets(group)]
        return result

    return describe_target_health


def patch_elbv2_target_lifecycle() -> None:
    """Registration clocks, draining on deregistration, and draining targets listed by DescribeTargetHealth."""
    FakeTargetGroup.register = _wrap_register(FakeTargetGroup.register)  # type: ignore[method-assign]
    FakeTargetGroup.deregister = _wrap_deregister(FakeTargetGroup.deregister)  # type: ignore[method-assign]
    ELBv2Backend.describe_target_health = _wrap_describe(  # type: ignore[method-assign]
        ELBv2Backend.describe_target_health
    )
