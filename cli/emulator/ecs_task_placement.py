"""The tasks of an emulated ECS task set: starting and stopping them to the task set's computedDesiredCount,
giving an awsvpc task a deterministic private IP of one of the task set's subnets, and registering each task
in (and deregistering it from) the task set's target groups. See ecs_task_sets.py for the behaviour.
"""

import ipaddress
import time
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskSet
from moto.elbv2.models import FakeTargetGroup, elbv2_backends

from ecs_task_lifecycle import running_at
from ecs_task_set_state import Link, computed_desired_count, link_of, live_tasks
from elbv2_target_lifecycle import checkable_from

# The first four addresses of a VPC subnet are reserved by AWS.
FIRST_HOST = 4
SCALE_IN_REASON = "Scaling activity initiated by (deployment {id})"
DELETE_REASON = "Task set {id} deleted"


def _subnet_ips_in_use(ec2: Any, subnet_id: str) -> set[str]:
    used = set()
    for eni in ec2.enis.values():
        if getattr(eni.subnet, "id", None) == subnet_id:
            used.update(address["PrivateIpAddress"] for address in eni.private_ip_addresses)
            if eni.private_ip_address:
                used.add(eni.private_ip_address)
    return used


def _free_ip(ec2: Any, subnet: Any) -> str:
    network = ipaddress.IPv4Network(subnet.cidr_block)
    used = _subnet_ips_in_use(ec2, subnet.id)
    for offset in range(FIRST_HOST, network.num_addresses - 1):
        candidate = str(network.network_address + offset)
        if candidate not in used:
            return candidate
    raise InvalidParameterException(f"Subnet {subnet.id} ({subnet.cidr_block}) has no free IP address left")


def _place(backend: EC2ContainerServiceBackend, task: Task, subnet_id: str) -> None:
    """Move an awsvpc task's ENI to `subnet_id` with a deterministic address of that subnet."""
    attachment = next((a for a in task.attachments if a.get("type") == "ElasticNetworkInterface"), None)
    if attachment is None:
        return
    details = {detail["name"]: detail for detail in attachment["details"]}
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    eni = ec2.get_network_interface(details["networkInterfaceId"]["value"])
    subnet = ec2.get_subnet(subnet_id)
    eni.subnet = subnet
    eni.private_ip_address = None
    eni.private_ip_addresses = []
    ip = _free_ip(ec2, subnet)
    eni.private_ip_address = ip
    eni.private_dns_name = generate_dns_from_ip(ip)
    eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": ip, "PrivateDnsName": eni.private_dns_name}]
    details["subnetId"]["value"] = subnet_id
    details["privateIPv4Address"]["value"] = ip
    if "privateDnsName" in details:
        details["privateDnsName"]["value"] = eni.private_dns_name


def _task_ip(task: Task) -> str | None:
    for attachment in task.attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                return detail["value"]
    return None


def _fallback_ip(backend: EC2ContainerServiceBackend) -> str:
    counter = backend.__dict__.get("switchyard_fallback_ips", 0)
    backend.__dict__["switchyard_fallback_ips"] = counter + 1
    return f"10.0.{counter // 250}.{counter % 250 + 4}"


def container_port_mapping(task_definition: Any, container_name: str, container_port: int) -> dict[str, Any] | None:
    for container in task_definition.container_definitions:
        if container.get("name") == container_name:
            for mapping in container.get("portMappings") or []:
                if mapping.get("containerPort") == container_port:
                    return mapping
    return None


def _register(backend: EC2ContainerServiceBackend, task_set: TaskSet, task: Task, link: Link) -> None:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    task_definition = backend.describe_task_definition(task_set.task_definition)
    registered = link.targets.setdefault(task.task_arn, [])
    for balancer in task_set.load_balancers:
        group_arn = balancer.get("targetGroupArn")
        if not group_arn:
            continue
        group: FakeTargetGroup = elbv2.target_groups[group_arn]
        port = int(balancer["containerPort"])
        if group.target_type == "instance":
            instance = backend.container_instances[task.cluster_name][task.container_instance_arn.split("/")[-1]]
            target_id = instance.ec2_instance_id
            mapping = container_port_mapping(task_definition, balancer["containerName"], port) or {}
            port = int(mapping.get("hostPort") or port)
        else:
            target_id = _task_ip(task) or _fallback_ip(backend)
        elbv2.register_targets(group_arn, [{"Id": target_id, "Port": port}])
        # The load balancer can check the target once the task runs (ECS registers it while ACTIVATING).
        checkable_from(group, target_id, max(time.monotonic(), running_at(task)))
        registered.append((group_arn, target_id, port))


def _deregister(backend: EC2ContainerServiceBackend, link: Link, task: Task) -> None:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for group_arn, target_id, port in link.targets.pop(task.task_arn, []):
        group = elbv2.target_groups.get(group_arn)
        if group is not None and target_id in group.targets:
            group.deregister([{"Id": target_id, "Port": port}])


def _task_tags(backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet) -> list[dict[str, str]]:
    """The tags moto's CreateTaskSet gives the tasks it starts (propagateTags, then the task set's)."""
    tags: dict[str, str] = {}
    if service.propagate_tags == "TASK_DEFINITION":
        task_definition = backend.describe_task_definition(task_set.task_definition)
        tags.update({tag["key"]: tag["value"] for tag in task_definition.tags})
    if service.propagate_tags == "SERVICE":
        tags.update({tag["key"]: tag["value"] for tag in service.tags})
    tags.update({tag["key"]: tag["value"] for tag in task_set.tags or []})
    return [{"key": key, "value": value} for key, value in tags.items()]


def scale_to_desired(backend: EC2ContainerServiceBackend, task_set: TaskSet, service: Service) -> None:
    """Start or stop the task set's tasks until computedDesiredCount are live, keeping targets in step."""
    link = link_of(task_set)
    if link is None:
        return
    want = computed_desired_count(service, task_set)
    live = live_tasks(link)
    if want > len(live):
        subnets = ((task_set.network_configuration or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
        started = backend.run_task(
            cluster_str=task_set.cluster_arn,
            task_definition_str=task_set.task_definition,
            count=want - len(live),
            overrides=None,
            started_by=task_set.id,
            tags=_task_tags(backend, service, task_set),
            launch_type=task_set.launch_type,
            networking_configuration=task_set.network_configuration,
            group=f"service:{service.name}",
            platform_version=task_set.platform_version if task_set.launch_type == "FARGATE" else None,
        )
        for index, task in enumerate(started, start=len(link.tasks)):
            if subnets:
                _place(backend, task, subnets[index % len(subnets)])
            link.tasks.append(task)
            _register(backend, task_set, task, link)
    elif want < len(live):
        for task in reversed(live[want:]):
            _deregister(backend, link, task)
            backend.stop_task(task.cluster_arn, task.task_arn, SCALE_IN_REASON.format(id=task_set.id))


def release(backend: EC2ContainerServiceBackend, task_set: TaskSet) -> None:
    link = link_of(task_set)
    if link is None:
        return
    for task in live_tasks(link):
        _deregister(backend, link, task)
        backend.stop_task(task.cluster_arn, task.task_arn, DELETE_REASON.format(id=task_set.id))
