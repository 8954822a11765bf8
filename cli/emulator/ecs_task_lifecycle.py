"""ECS tasks that take time to start and then stay RUNNING, for Switchyard's emulator.

moto 5.2.1 creates a task RUNNING at once and advances it one state (RUNNING -> DEACTIVATING -> ... STOPPED) per
DescribeTasks, so a task drifts to STOPPED after a few describes where ECS would keep it running. Here:

- A task goes PROVISIONING -> PENDING -> ACTIVATING -> RUNNING, a third of the emulator's taskStartSeconds
  (emulator_timings.py) in each, as ECS documents a task's lifecycle: "PROVISIONING: Amazon ECS has to perform
  additional steps before the task is launched", "PENDING: ... waiting on the container agent to take further
  action", "ACTIVATING: ... after the task is launched but before the task can transition to the RUNNING state"
  (load balancer target registration happens there).
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
  The state is reckoned from the clock when read, so every read (DescribeTasks, a task set's runningCount and
  pendingCount) agrees. A task stopped before it ran reads STOPPED.
- Once RUNNING, a task stays RUNNING until it is stopped: moto's per-describe progression is registered as the
  default transition, so /moto-api/state-manager/set-transition still overrides it and unset-transition comes
  back here; the state manager is not touched by /moto-api/reset.
"""

import time
from typing import Any, Callable

from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.moto_api import state_manager

import emulator_timings

STARTING = ("PROVISIONING", "PENDING", "ACTIVATING")
RUNNING_AT = "switchyard_running_at"


def running_at(task: Task) -> float:
    """time.monotonic() at which the task is (or was) RUNNING; 0 for a task the emulator did not time."""
    return task.__dict__.get(RUNNING_AT, 0.0)


def _wrap_last_status(original: property) -> property:
    def last_status(self: Task) -> str:
        status = original.fget(self)  # type: ignore[misc]
        if status != "RUNNING":
            return status
        remaining = running_at(self) - time.monotonic()
        if remaining <= 0:
            return status
        seconds = self.__dict__.get("switchyard_start_seconds") or remaining
        elapsed = seconds - remaining
        return STARTING[min(len(STARTING) - 1, int(elapsed * len(STARTING) / seconds))]

    return property(last_status, original.fset)


def _wrap_run_task(original: Callable[..., list[Task]]) -> Callable[..., list[Task]]:
    def run_task(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> list[Task]:
        tasks = original(self, *args, **kwargs)
        seconds = emulator_timings.get("taskStartSeconds")
        start = time.monotonic()
        for task in tasks:
            task.__dict__["switchyard_start_seconds"] = seconds
            task.__dict__[RUNNING_AT] = start + seconds
        return tasks

    return run_task


def patch_ecs_task_lifecycle() -> None:
    """Tasks start over taskStartSeconds, then stay RUNNING until stopped."""
    state_manager.register_default_transition("ecs::task", {"progression": "manual", "times": 10**9})
    Task.last_status = _wrap_last_status(Task.last_status)  # type: ignore[method-assign,assignment]
    EC2ContainerServiceBackend.run_task = _wrap_run_task(  # type: ignore[method-assign]
        EC2ContainerServiceBackend.run_task
    )
