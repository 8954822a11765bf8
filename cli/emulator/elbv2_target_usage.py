"""Which target groups a load balancer uses, for Switchyard's emulator: the ground of `unused` target health and
of ECS's "does not have an associated load balancer" refusal.

A target group is in use while some listener's default action or rule forwards to it (TargetGroupArn or any
ForwardConfig entry, whatever its weight). Only then does the load balancer health-check its targets: "Before
the load balancer sends a health check request to a target, you must register it with a target group, specify
its target group in a listener rule, and ensure that the Availability Zone of the target is enabled"; otherwise
a target is `unused` with reason Target.NotInUse
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).

moto 5.2.1 keeps a target group's LoadBalancerArns from CreateListener and CreateRule only (never updated by
ModifyListener, ModifyRule or deletions), so use is computed here from the listeners themselves. Each group
also remembers since when it is in use (the health checks of its targets start then); listener and rule
changes update it at once, and a read finds it too if a change came some other way.
"""

import time
from typing import Any, Callable

from moto.elbv2.models import ELBv2Backend, FakeTargetGroup, elbv2_backends

SINCE = "switchyard_in_use_since"


def _action_groups(action: Any) -> list[str]:
    data = getattr(action, "data", None) or {}
    if data.get("Type") != "forward":
        return []
    arns = [data["TargetGroupArn"]] if data.get("TargetGroupArn") else []
    arns += [group.get("TargetGroupArn") for group in (data.get("ForwardConfig") or {}).get("TargetGroups") or []]
    return [arn for arn in arns if arn]


def groups_in_use(backend: ELBv2Backend) -> dict[str, set[str]]:
    """Target group ARN -> the ARNs of the load balancers whose listeners forward to it."""
    used: dict[str, set[str]] = {}
    for balancer in list(backend.load_balancers.values()):
        for listener in list(balancer.listeners.values()):
            actions = list(listener.default_actions or [])
            for rule in list(getattr(listener, "rules", {}).values()):
                actions += list(rule.actions or [])
            for action in actions:
                for arn in _action_groups(action):
                    used.setdefault(arn, set()).add(balancer.arn)
    return used


def backend_of(group: FakeTargetGroup) -> ELBv2Backend:
    return elbv2_backends[group.account_id][group.region_name]


def in_use_since(group: FakeTargetGroup) -> float | None:
    """time.monotonic() at which a listener started to use the group, or None while none does."""
    used = group.arn in groups_in_use(backend_of(group))
    since = group.__dict__.get(SINCE)
    if used and since is None:
        group.__dict__[SINCE] = since = time.monotonic()
    elif not used:
        group.__dict__[SINCE] = since = None
    return since


def refresh_usage(backend: ELBv2Backend) -> None:
    """Record, for every target group of the backend, whether and since when a listener uses it."""
    used = groups_in_use(backend)
    now = time.monotonic()
    for group in list(backend.target_groups.values()):
        if group.arn not in used:
            group.__dict__[SINCE] = None
        elif group.__dict__.get(SINCE) is None:
            group.__dict__[SINCE] = now


def _refreshing(original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        refresh_usage(self)
        return result

    return method


def patch_elbv2_target_usage() -> None:
    """Every listener and rule change re-reckons which groups are in use (and since when)."""
    for name in (
        "create_listener",
        "modify_listener",
        "delete_listener",
        "create_rule",
        "modify_rule",
        "delete_rule",
        "delete_load_balancer",
    ):
        setattr(ELBv2Backend, name, _refreshing(getattr(ELBv2Backend, name)))
