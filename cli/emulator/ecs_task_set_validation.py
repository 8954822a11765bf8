"""Validation and idempotency of the emulator's CreateTaskSet and UpdateTaskSet: the scale, the load
balancers against the task definition and the target groups, and the clientToken (ECS API Reference,
"Ensuring idempotency"; see ecs_task_sets.py).

A target group that no listener of a load balancer forwards to is refused as ECS refuses it, with
InvalidParameterException "The target group with targetGroupArn <arn> does not have an associated load
balancer." (ECS registers the tasks of a task set with a load balancer through the target group, whose
LoadBalancerArns are the load balancers that route traffic to it:
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateTaskSet.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroup.html). A forward action
with weight 0 associates the group too; that is how CreateGreen prepares green before its task set.
"""

import json
from typing import Any

from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskSet
from moto.elbv2.models import elbv2_backends

from ecs_task_placement import container_port_mapping
from ecs_task_set_state import link_of
from elbv2_target_usage import groups_in_use


class ConflictException(ECSException):
    """The clientToken was used for a different CreateTaskSet request in this cluster."""

    def __init__(self, message: str, resource_ids: list[str]):
        super().__init__("ConflictException", message)
        self.resourceIds = resource_ids


def validate_scale(scale: dict[str, Any] | None) -> dict[str, Any] | None:
    if scale is None:
        return None
    unit = scale.get("unit", "PERCENT")
    value = scale.get("value")
    if unit != "PERCENT":
        raise InvalidParameterException(f"scale.unit {unit!r} is not supported; the only unit is PERCENT")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
        raise InvalidParameterException(f"scale.value {value!r} must be a number between 0 and 100")
    return {"unit": unit, "value": float(value)}


def validate_load_balancers(backend: EC2ContainerServiceBackend, task_definition: Any, balancers: list[Any]) -> None:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    in_use = groups_in_use(elbv2)
    for index, balancer in enumerate(balancers):
        where = f"loadBalancers[{index}]"
        name, port = balancer.get("containerName"), balancer.get("containerPort")
        if not name or port is None:
            raise InvalidParameterException(f"{where} needs containerName and containerPort")
        if container_port_mapping(task_definition, name, int(port)) is None:
            raise InvalidParameterException(
                f"{where}: the task definition {task_definition.arn} has no container {name!r} with a "
                f"portMapping for containerPort {port}"
            )
        group_arn = balancer.get("targetGroupArn")
        if not group_arn:
            continue
        group = elbv2.target_groups.get(group_arn)
        if group is None:
            raise InvalidParameterException(f"{where}: target group {group_arn} does not exist")
        if group_arn not in in_use:
            raise InvalidParameterException(
                f"The target group with targetGroupArn {group_arn} does not have an associated load balancer."
            )
        awsvpc = task_definition.network_mode == "awsvpc"
        if group.target_type == "ip" and not awsvpc:
            raise InvalidParameterException(
                f"{where}: target group {group_arn} has target type ip, which needs the awsvpc network mode; "
                f"the task definition uses {task_definition.network_mode}"
            )
        if group.target_type == "instance" and awsvpc:
            raise InvalidParameterException(
                f"{where}: target group {group_arn} has target type instance, which is incompatible with the "
                "awsvpc network mode of the task definition"
            )
        if group.target_type not in ("ip", "instance"):
            raise InvalidParameterException(
                f"{where}: target group {group_arn} has target type {group.target_type}; ECS registers tasks "
                "only in ip or instance target groups"
            )


def request_fingerprint(service: Service, task_definition_arn: str, arguments: dict[str, Any]) -> str:
    """Every CreateTaskSet parameter but the token, with the service and task definition resolved to ARNs."""
    return json.dumps({**arguments, "service": service.arn, "taskDefinition": task_definition_arn}, sort_keys=True)


def task_set_by_token(backend: EC2ContainerServiceBackend, cluster_name: str, token: str) -> TaskSet | None:
    for service in backend.services.values():
        if service.cluster_name != cluster_name:
            continue
        for task_set in service.task_sets:
            if task_set.client_token == token and link_of(task_set) is not None:
                return task_set
    return None
