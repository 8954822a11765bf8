"""ECS tasks that stay RUNNING, for Switchyard's emulator.

moto 5.2.1 advances a task one state (RUNNING -> DEACTIVATING -> ... STOPPED) per DescribeTasks, so a task
drifts to STOPPED after a few describes where ECS would keep it running.
"""

from moto.moto_api import state_manager


def patch_ecs_task_lifecycle() -> None:
    """moto advances a task one state (RUNNING -> DEACTIVATING -> ... STOPPED) per DescribeTasks.
    Registered as the default, so /moto-api/state-manager/set-transition still overrides it and
    unset-transition comes back here; the state manager is not touched by /moto-api/reset."""
    state_manager.register_default_transition("ecs::task", {"progression": "manual", "times": 10**9})
