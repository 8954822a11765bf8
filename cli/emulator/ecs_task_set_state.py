"""What the emulator knows about each ECS task set (its tasks, their targets, the request that made it), and
the counts and stability derived from it: computedDesiredCount, runningCount, pendingCount, stabilityStatus.

The ECS API reference defines STEADY_STATE as runningCount == computedDesiredCount, pendingCount == 0 and
every target of the task set healthy; computedDesiredCount is ceil(desiredCount x scale / 100) (moto floors).
The state lives on moto's task set objects (see ecs_task_sets.py), so POST /moto-api/reset drops it.
"""

import math
import threading
from fractions import Fraction

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskSet
from moto.elbv2.models import elbv2_backends

# Werkzeug serves requests on threads: one task-set change at a time.
lock = threading.RLock()
polling = threading.local()

LIVE_STATUSES = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")
PENDING_STATUSES = ("PROVISIONING", "PENDING", "ACTIVATING")


class Link:
    """What the emulator knows about one task set: its tasks, their targets, the request that made it."""

    def __init__(self, fingerprint: str, stabilizing_polls: int):
        self.fingerprint = fingerprint
        self.tasks: list[Task] = []
        # task ARN -> [(target group ARN, target id, port)]
        self.targets: dict[str, list[tuple[str, str, int]]] = {}
        self.stabilizing_polls = stabilizing_polls


def link_of(task_set: TaskSet) -> Link | None:
    return task_set.__dict__.get("switchyard")


def service_of(backend: EC2ContainerServiceBackend, task_set: TaskSet) -> Service | None:
    return next((s for s in backend.services.values() if s.arn == task_set.service_arn), None)


# --------------------------------------------------------------------------------------------
# Counts and stability
# --------------------------------------------------------------------------------------------


def computed_desired_count(service: Service, task_set: TaskSet) -> int:
    """ceil(desiredCount x scale / 100), exactly (33.3% of 3 is 1, not 0.999... rounded to 1 or 2)."""
    value = Fraction(str((task_set.scale or {}).get("value", 100)))
    return math.ceil(Fraction(service.desired_count or 0) * value / 100)


def live_tasks(link: Link) -> list[Task]:
    return [task for task in link.tasks if task.desired_status == "RUNNING" and task.last_status in LIVE_STATUSES]


def _all_targets_healthy(backend: EC2ContainerServiceBackend, link: Link) -> bool:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for targets in link.targets.values():
        for group_arn, target_id, port in targets:
            group = elbv2.target_groups.get(group_arn)
            if group is None:
                continue
            if group.health_for({"Id": target_id, "Port": port}, elbv2.ec2_backend).status != "healthy":
                return False
    return True


def refresh(backend: EC2ContainerServiceBackend, task_set: TaskSet, count_poll: bool = False) -> None:
    """Set computedDesiredCount, runningCount, pendingCount and stabilityStatus from the task set's tasks."""
    link = link_of(task_set)
    service = service_of(backend, task_set)
    if link is None or service is None:
        return
    live = live_tasks(link)
    task_set.computed_desired_count = computed_desired_count(service, task_set)
    task_set.running_count = sum(1 for task in live if task.last_status == "RUNNING")
    task_set.pending_count = sum(1 for task in live if task.last_status in PENDING_STATUSES)
    stabilizing = link.stabilizing_polls > 0
    if count_poll and stabilizing:
        link.stabilizing_polls -= 1
    steady = (
        not stabilizing
        and task_set.running_count == task_set.computed_desired_count
        and task_set.pending_count == 0
        and _all_targets_healthy(backend, link)
    )
    status = "STEADY_STATE" if steady else "STABILIZING"
    if status != task_set.stabilityStatus:
        task_set.stabilityStatus = status
        task_set.stabilityStatusAt = utcnow()
