"""ECS task sets that behave like ECS with a load balancer, for Switchyard's emulator.

moto 5.2.1 starts a task set's tasks (floor of desiredCount x scale) but links them to nothing, never
registers them in the task set's target groups, ignores clientToken, omits computedDesiredCount,
runningCount and pendingCount, and reports STEADY_STATE at once. Patched here (EC2ContainerServiceBackend
methods, wrapped; moto's own code still runs underneath):

- CreateTaskSet with a clientToken already used in the same cluster returns the existing task set when
  every other parameter is the same (ECS API Reference, "Ensuring idempotency": a retry "using the same
  client token and the same parameters ... succeeds without performing any further actions"; idempotency
  type "cluster"). With different parameters it fails with ConflictException, which that page documents for
  RunTask (CreateTaskSet's own error list names no error for it). A deleted task set frees its token.
- A task set runs computedDesiredCount = ceil(service desiredCount x scale.value / 100) tasks (the API
  reference's rounding; moto floors), started by the task set (`startedBy` = its id, as ECS tags a
  deployment's tasks; `group` = `service:<name>`). An awsvpc task gets a deterministic private IP of one of
  the task set's subnets (tasks spread round-robin over them; first free address from .4 up), on its ENI and
  attachment. Each task is registered in every `loadBalancers[].targetGroupArn`: by that IP on the
  containerPort for `ip` target groups (10.0.x.y if the task has no awsvpc address); by its container
  instance's EC2 instance id for `instance` target groups, on the container's hostPort when the task
  definition fixes one, else the containerPort (ECS would pick an ephemeral port). CreateTaskSet refuses a
  missing target group, a container name/port the task definition lacks, and a target type that does not fit
  the network mode (ip needs awsvpc, instance refuses it).
- UpdateTaskSet (scale) and UpdateService (desiredCount) start or stop tasks to the new count, registering
  or deregistering their targets. DeleteTaskSet deregisters its targets and stops its tasks at once (ECS
  would drain them for the group's deregistration delay first; the target simply disappears here).
- runningCount and pendingCount count the task set's tasks by lastStatus. stabilityStatus is STABILIZING
  unless runningCount == computedDesiredCount, pendingCount == 0 and every target of the task set reports
  `healthy` (the API reference's definition of STEADY_STATE), so the target-health control of the launcher
  also moves the task set. A test can add STABILIZING describes with the control

      POST /moto-api/switchyard/ecs/task-set-stability  {"taskSetArn" | "serviceArn", "stabilizingPolls"}

  taskSetArn: that task set's next N DescribeTaskSets report STABILIZING; serviceArn: every task set the
  service creates from now on starts with N (0 clears it). Only DescribeTaskSets counts a poll.
Task sets without load balancers get all of the above but the targets. State lives on moto's objects, so
POST /moto-api/reset drops it. Not emulated: replacing tasks that stop, draining, service discovery.
"""

import ipaddress
import json
import math
import threading
from fractions import Fraction
from typing import Any, Callable

from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs.exceptions import ECSException, InvalidParameterException, ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskSet, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import FakeTargetGroup, elbv2_backends

# Werkzeug serves requests on threads: one task-set change at a time.
lock = threading.RLock()
polling = threading.local()

LIVE_STATUSES = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")
PENDING_STATUSES = ("PROVISIONING", "PENDING", "ACTIVATING")
# The first four addresses of a VPC subnet are reserved by AWS.
FIRST_HOST = 4
SCALE_IN_REASON = "Scaling activity initiated by (deployment {id})"
DELETE_REASON = "Task set {id} deleted"


class ControlError(Exception):
    """A bad request to the stability control; the launcher turns it into its JSON error response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class ConflictException(ECSException):
    """The clientToken was used for a different CreateTaskSet request in this cluster."""

    def __init__(self, message: str, resource_ids: list[str]):
        super().__init__("ConflictException", message)
        self.resourceIds = resource_ids


class Link:
    """What the emulator knows about one task set: its tasks, their targets, the request that made it."""

    def __init__(self, fingerprint: str, stabilizing_polls: int):
        self.fingerprint = fingerprint
        self.tasks: list[Task] = []
        # task ARN -> [(target group ARN, target id, port)]
        self.targets: dict[str, list[tuple[str, str, int]]] = {}
        self.stabilizing_polls = stabilizing_polls


def _link(task_set: TaskSet) -> Link | None:
    return task_set.__dict__.get("switchyard")


def _service_of(backend: EC2ContainerServiceBackend, task_set: TaskSet) -> Service | None:
    return next((s for s in backend.services.values() if s.arn == task_set.service_arn), None)


# --------------------------------------------------------------------------------------------
# Counts and stability
# --------------------------------------------------------------------------------------------


def computed_desired_count(service: Service, task_set: TaskSet) -> int:
    """ceil(desiredCount x scale / 100), exactly (33.3% of 3 is 1, not 0.999... rounded to 1 or 2)."""
    value = Fraction(str((task_set.scale or {}).get("value", 100)))
    return math.ceil(Fraction(service.desired_count or 0) * value / 100)


def _live(link: Link) -> list[Task]:
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
    link = _link(task_set)
    service = _service_of(backend, task_set)
    if link is None or service is None:
        return
    live = _live(link)
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


# --------------------------------------------------------------------------------------------
# Tasks, addresses and targets
# --------------------------------------------------------------------------------------------


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


def _container_port_mapping(task_definition: Any, container_name: str, container_port: int) -> dict[str, Any] | None:
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
            mapping = _container_port_mapping(task_definition, balancer["containerName"], port) or {}
            port = int(mapping.get("hostPort") or port)
        else:
            target_id = _task_ip(task) or _fallback_ip(backend)
        elbv2.register_targets(group_arn, [{"Id": target_id, "Port": port}])
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
    link = _link(task_set)
    if link is None:
        return
    want = computed_desired_count(service, task_set)
    live = _live(link)
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


def _release(backend: EC2ContainerServiceBackend, task_set: TaskSet) -> None:
    link = _link(task_set)
    if link is None:
        return
    for task in _live(link):
        _deregister(backend, link, task)
        backend.stop_task(task.cluster_arn, task.task_arn, DELETE_REASON.format(id=task_set.id))


# --------------------------------------------------------------------------------------------
# Validation and idempotency
# --------------------------------------------------------------------------------------------


def _validate_scale(scale: dict[str, Any] | None) -> dict[str, Any] | None:
    if scale is None:
        return None
    unit = scale.get("unit", "PERCENT")
    value = scale.get("value")
    if unit != "PERCENT":
        raise InvalidParameterException(f"scale.unit {unit!r} is not supported; the only unit is PERCENT")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
        raise InvalidParameterException(f"scale.value {value!r} must be a number between 0 and 100")
    return {"unit": unit, "value": float(value)}


def _validate_load_balancers(backend: EC2ContainerServiceBackend, task_definition: Any, balancers: list[Any]) -> None:
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for index, balancer in enumerate(balancers):
        where = f"loadBalancers[{index}]"
        name, port = balancer.get("containerName"), balancer.get("containerPort")
        if not name or port is None:
            raise InvalidParameterException(f"{where} needs containerName and containerPort")
        if _container_port_mapping(task_definition, name, int(port)) is None:
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


def _fingerprint(service: Service, task_definition_arn: str, arguments: dict[str, Any]) -> str:
    """Every CreateTaskSet parameter but the token, with the service and task definition resolved to ARNs."""
    return json.dumps({**arguments, "service": service.arn, "taskDefinition": task_definition_arn}, sort_keys=True)


def _by_token(backend: EC2ContainerServiceBackend, cluster_name: str, token: str) -> TaskSet | None:
    for service in backend.services.values():
        if service.cluster_name != cluster_name:
            continue
        for task_set in service.task_sets:
            if task_set.client_token == token and _link(task_set) is not None:
                return task_set
    return None


# --------------------------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------------------------


def _wrap_create(original: Callable[..., TaskSet]) -> Callable[..., TaskSet]:
    def create_task_set(
        self: EC2ContainerServiceBackend,
        service: str,
        cluster_str: str,
        task_definition: str,
        external_id: str | None = None,
        network_configuration: dict[str, Any] | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        service_registries: list[dict[str, Any]] | None = None,
        launch_type: str | None = None,
        capacity_provider_strategy: list[dict[str, Any]] | None = None,
        platform_version: str | None = None,
        scale: dict[str, Any] | None = None,
        client_token: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> TaskSet:
        with lock:
            cluster = self._get_cluster(cluster_str)
            service_obj = self.services.get(f"{cluster.name}:{service.split('/')[-1]}")
            if service_obj is None:
                raise ServiceNotFoundException
            task_definition_obj = self.describe_task_definition(task_definition)
            scale = _validate_scale(scale)
            fingerprint = _fingerprint(
                service_obj,
                task_definition_obj.arn,
                {
                    "externalId": external_id,
                    "networkConfiguration": network_configuration,
                    "loadBalancers": load_balancers,
                    "serviceRegistries": service_registries,
                    "launchType": launch_type,
                    "capacityProviderStrategy": capacity_provider_strategy,
                    "platformVersion": platform_version,
                    "scale": scale,
                    "tags": tags,
                },
            )
            if client_token:
                existing = _by_token(self, cluster.name, client_token)
                if existing is not None:
                    link = _link(existing)
                    if link is not None and link.fingerprint == fingerprint:
                        refresh(self, existing)
                        return existing
                    raise ConflictException(
                        f"The clientToken {client_token!r} was already used in cluster {cluster.name} for task set "
                        f"{existing.task_set_arn} with different parameters; retry with the original parameters "
                        "or use a new clientToken",
                        [existing.task_set_arn],
                    )
            _validate_load_balancers(self, task_definition_obj, load_balancers or [])
            # scale=None: moto starts no tasks (it would start floor(count) unlinked ones); scale_to_desired does.
            task_set = original(
                self,
                service,
                cluster_str,
                task_definition,
                external_id=external_id,
                network_configuration=network_configuration,
                load_balancers=load_balancers,
                service_registries=service_registries,
                launch_type=launch_type,
                capacity_provider_strategy=capacity_provider_strategy,
                platform_version=platform_version,
                scale=None,
                client_token=client_token,
                tags=tags,
            )
            if scale is not None:
                task_set.scale = scale
            task_set.__dict__["switchyard"] = Link(
                fingerprint, service_obj.__dict__.get("switchyard_stabilizing_polls", 0)
            )
            try:
                scale_to_desired(self, task_set, service_obj)
            except Exception:
                # A task set whose tasks could not start must not stay behind for a retry to find.
                _release(self, task_set)
                service_obj.task_sets.remove(task_set)
                raise
            refresh(self, task_set)
            return task_set

    return create_task_set


def _wrap_describe(original: Callable[..., list[TaskSet]]) -> Callable[..., list[TaskSet]]:
    def describe_task_sets(
        self: EC2ContainerServiceBackend, cluster_str: str, service: str, task_sets: list[str]
    ) -> list[TaskSet]:
        with lock:
            result = original(self, cluster_str, service, task_sets)
            for task_set in result:
                refresh(self, task_set, count_poll=getattr(polling, "active", False))
            return result

    return describe_task_sets


def _wrap_describe_response(original: Callable[..., Any]) -> Callable[..., Any]:
    def describe_task_sets(self: EC2ContainerServiceResponse) -> Any:
        # Only the DescribeTaskSets action counts a poll; UpdateTaskSet and others call the backend's
        # describe_task_sets too.
        polling.active = True
        try:
            return original(self)
        finally:
            polling.active = False

    return describe_task_sets


def _wrap_update(original: Callable[..., TaskSet]) -> Callable[..., TaskSet]:
    def update_task_set(
        self: EC2ContainerServiceBackend, cluster: str, service: str, task_set: str, scale: dict[str, Any]
    ) -> TaskSet:
        with lock:
            validated = _validate_scale(scale)
            task_set_obj = original(self, cluster, service, task_set, validated or scale)
            service_obj = _service_of(self, task_set_obj)
            if service_obj is not None:
                scale_to_desired(self, task_set_obj, service_obj)
            refresh(self, task_set_obj)
            return task_set_obj

    return update_task_set


def _wrap_delete(original: Callable[..., TaskSet]) -> Callable[..., TaskSet]:
    def delete_task_set(self: EC2ContainerServiceBackend, cluster: str, service: str, task_set: str) -> TaskSet:
        with lock:
            deleted = original(self, cluster, service, task_set)
            _release(self, deleted)
            refresh(self, deleted)
            return deleted

    return delete_task_set


def _wrap_update_service(original: Callable[..., Service]) -> Callable[..., Service]:
    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
        with lock:
            rescale = service_properties.get("desired_count") is not None
            service = original(self, service_properties)
            if rescale:
                for task_set in service.task_sets:
                    scale_to_desired(self, task_set, service)
                    refresh(self, task_set)
            return service

    return update_service


def _wrap_primary(original: Callable[..., TaskSet]) -> Callable[..., TaskSet]:
    def update_service_primary_task_set(
        self: EC2ContainerServiceBackend, cluster: str, service: str, primary_task_set: str
    ) -> TaskSet:
        with lock:
            task_set = original(self, cluster, service, primary_task_set)
            refresh(self, task_set)
            return task_set

    return update_service_primary_task_set


def patch_ecs_task_sets() -> None:
    """Wrap the task-set methods of moto's ECS backend (and DescribeTaskSets' response, to count polls)."""
    backend = EC2ContainerServiceBackend
    backend.create_task_set = _wrap_create(backend.create_task_set)  # type: ignore[method-assign]
    backend.describe_task_sets = _wrap_describe(backend.describe_task_sets)  # type: ignore[method-assign]
    backend.update_task_set = _wrap_update(backend.update_task_set)  # type: ignore[method-assign]
    backend.delete_task_set = _wrap_delete(backend.delete_task_set)  # type: ignore[method-assign]
    backend.update_service = _wrap_update_service(backend.update_service)  # type: ignore[method-assign]
    backend.update_service_primary_task_set = _wrap_primary(  # type: ignore[method-assign]
        backend.update_service_primary_task_set
    )
    response = EC2ContainerServiceResponse
    response.describe_task_sets = _wrap_describe_response(response.describe_task_sets)  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------
# Control
# --------------------------------------------------------------------------------------------


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
                    link = _link(task_set)
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
