"""ELBv2 target health as AWS reports it, and as a test can set it, for Switchyard's emulator.

moto 5.2.1's FakeTargetGroup.health_for reports every registered target healthy. Here a target first goes through
the life AWS gives it (elbv2_target_lifecycle.py: `unused` while no listener uses its group, `initial` until its
first health check passes, `draining` after deregistration), then is `healthy`. A test's override wins over that
life. Overrides are kept on the target group itself: {"*": group-wide, "<targetId>": that target}; a target's own
override wins. They apply to registered targets only (an unregistered one stays unused/unavailable). Set them with
the control

    POST /moto-api/switchyard/elbv2/target-health  {"targetGroupArn", "state", "targetId"?, "reason"?,
                                                    "description"?}

The overrides live on moto's target group, so POST /moto-api/reset drops them with it.
"""

from typing import Any

from moto.elbv2.models import FakeTargetGroup, elbv2_backends

from control_endpoints import ControlError
from elbv2_target_lifecycle import lifecycle_status

HEALTH_STATES = ("initial", "healthy", "unhealthy", "unhealthy.draining", "unused", "draining", "unavailable")
DEFAULT_HEALTH_REASONS = {
    "initial": ("Elb.InitialHealthChecking", "Initial health checks in progress"),
    "unhealthy": ("Target.FailedHealthChecks", "Health checks failed"),
    "unhealthy.draining": ("Target.FailedHealthChecks", "Health checks failed"),
    "unused": ("Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
    "unavailable": ("Target.HealthCheckDisabled", "Health checks are disabled for the target group"),
}


def patch_elbv2_target_health() -> None:
    """Let DescribeTargetHealth report a target's life (initial, unused, draining) and the control's overrides."""
    original_health_for = FakeTargetGroup.health_for

    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> Any:
        status = original_health_for(self, target, ec2_backend)
        overrides = self.__dict__.get("switchyard_health") or {}
        override = overrides.get(target["Id"]) or overrides.get("*")
        if override and target["Id"] in self.targets:
            status.status = override["state"]
            status.reason = override.get("reason")
            status.description = override.get("description")
            return status
        life = lifecycle_status(self, target["Id"])
        # moto's own non-healthy answers for a registered target (a stopped instance) stand.
        if life is not None and (status.status == "healthy" or target["Id"] not in self.targets):
            status.status, status.reason, status.description = life
        return status

    FakeTargetGroup.health_for = health_for  # type: ignore[method-assign]


def control_target_health(body: dict[str, Any]) -> dict[str, Any]:
    """Set the health of one target, or of every target of the group (now and registered later)."""
    arn = body.get("targetGroupArn")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 6 or parts[2] != "elasticloadbalancing":
        raise ControlError(f"targetGroupArn {arn!r} is not a target group ARN")
    state = body.get("state")
    if state not in HEALTH_STATES:
        raise ControlError(f"state is {state!r}; expected one of {', '.join(HEALTH_STATES)}")
    target_id = body.get("targetId")
    if target_id is not None and (not isinstance(target_id, str) or not target_id):
        raise ControlError("targetId must be a non-empty string when given")
    target_group = elbv2_backends[parts[4]][parts[3]].target_groups.get(arn)
    if target_group is None:
        raise ControlError(f"target group {arn} does not exist", status=404)
    reason, description = DEFAULT_HEALTH_REASONS.get(state, (None, None))
    override = {
        "state": state,
        "reason": body.get("reason", reason),
        "description": body.get("description", description),
    }
    overrides = target_group.__dict__.setdefault("switchyard_health", {})
    if target_id is None:
        # A group-wide setting replaces the per-target ones, so "healthy" without targetId restores all.
        overrides.clear()
        overrides["*"] = override
    else:
        overrides[target_id] = override
    return {"targetGroupArn": arn, "targetId": target_id, **override}
