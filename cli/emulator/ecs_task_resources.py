"""ECS task resources as ECS reckons them, for Switchyard's emulator.

moto 5.2.1 adds up each container's `memory` (or `memoryReservation`) to place a task, and fails with a
TypeError (an HTML 500) when a container has neither. ECS accepts that shape whenever the task itself has a
memory size, which is the usual Fargate task definition: task-level `cpu` and `memory`, containers without their
own. The container-level memory "is optional for tasks hosted on Fargate", and a task on EC2 needs "either a
task-level memory value or a container-level memory value":
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_memory
and the task size is what Fargate reserves:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size

RegisterTaskDefinition keeps moto's own checks (a container with no memory in a task with none is refused).
"""

from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition


def _integer(value: Any) -> int:
    """An ECS size given as a number or a numeric string ("512"); anything else counts as none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def task_resource_requirements(task_definition: TaskDefinition) -> dict[str, Any]:
    """CPU and memory a task reserves (the task size when set, else the sum of its containers'), and its host ports."""
    cpu = memory = 0
    ports: list[Any] = []
    for container in task_definition.container_definitions:
        # CloudFormation passes capitalised keys, the API lower-case ones.
        cpu += _integer(container.get("cpu", container.get("Cpu")))
        memory += _integer(
            container.get("memory")
            or container.get("Memory")
            or container.get("memoryReservation")
            or container.get("MemoryReservation")
        )
        for mapping in container.get("portMappings", container.get("PortMappings")) or []:
            port = mapping.get("hostPort", mapping.get("HostPort"))
            if port is not None:
                ports.append(port)
    return {
        "CPU": max(cpu, _integer(task_definition.cpu)),
        "MEMORY": max(memory, _integer(task_definition.memory)),
        "PORTS": ports,
        "PORTS_UDP": [],
    }


def patch_ecs_task_resources() -> None:
    """Task placement reckons a task's size as ECS does instead of failing on containers without memory."""
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(task_resource_requirements)
