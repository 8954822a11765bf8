"""The emulator's task-set stability control: extra STABILIZING DescribeTaskSets for a test.

    POST /moto-api/switchyard/ecs/task-set-stability  {"taskSetArn" | "serviceArn", "stabilizingPolls"}

taskSetArn: that task set's next N DescribeTaskSets report STABILIZING; serviceArn: every task set the
service creates from now on starts with N (0 clears it). Only DescribeTaskSets counts a poll.
"""

from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends

from ecs_task_set_state import link_of, lock, refresh


class ControlError(Exception):
    """A bad request to the stability control; the launcher turns it into its JSON error response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _backend_for(arn: Any, kind: str) -> EC2ContainerServiceBackend:
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 6 or parts[2] != "ecs" or not parts[5].startswith(f"{kind}/"):
        raise ControlError(f"{arn!r} is not an ECS {kind} ARN")
    return ecs_backends[parts[4]][parts[3]]


def control_task_set_stability(body: dict[str, Any]) -> dict[str, Any]:
    """Make a task set (or every task set a service creates from now on) report STABILIZING for N describes."""
    polls = body.get("stabilizingPolls")
    if not isinstance(polls, int) or isinstance(polls, bool) or polls < 0:
        raise ControlError(f"stabilizingPolls is {polls!r}; expected an integer >= 0")
    task_set_arn, service_arn = body.get("taskSetArn"), body.get("serviceArn")
    if (task_set_arn is None) == (service_arn is None):
        raise ControlError("give exactly one of taskSetArn and serviceArn")
    with lock:
        if task_set_arn is not None:
            backend = _backend_for(task_set_arn, "task-set")
            for service in backend.services.values():
                for task_set in service.task_sets:
                    link = link_of(task_set)
                    if task_set.task_set_arn == task_set_arn and link is not None:
                        link.stabilizing_polls = polls
                        refresh(backend, task_set)
                        return {"taskSetArn": task_set_arn, "stabilizingPolls": polls}
            raise ControlError(f"task set {task_set_arn} does not exist", status=404)
        backend = _backend_for(service_arn, "service")
        service = next((s for s in backend.services.values() if s.arn == service_arn), None)
        if service is None:
            raise ControlError(f"service {service_arn} does not exist", status=404)
        service.__dict__["switchyard_stabilizing_polls"] = polls
        return {"serviceArn": service_arn, "stabilizingPolls": polls}
