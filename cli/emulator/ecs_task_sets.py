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
  missing target group, one no listener uses ("does not have an associated load balancer"), a container
  name/port the task definition lacks, and a target type that does not fit the network mode (ip needs awsvpc,
  instance refuses it). Tasks take the emulator's taskStartSeconds to reach RUNNING (ecs_task_lifecycle.py); a
  target is `initial` until its first health check passes (elbv2_target_lifecycle.py).
- UpdateTaskSet (scale) and UpdateService (desiredCount) start or stop tasks to the new count, registering
  or deregistering their targets. DeleteTaskSet deregisters its targets (which drain
  for the group's deregistration delay, scaled) and stops its tasks at once (ECS would keep them running
  while they drain).
- runningCount and pendingCount count the task set's tasks by lastStatus. stabilityStatus is STABILIZING
  unless runningCount == computedDesiredCount, pendingCount == 0 and every target of the task set reports
  `healthy` (the API reference's definition of STEADY_STATE), so the target-health control of the launcher
  also moves the task set. A test can add STABILIZING describes with the control

      POST /moto-api/switchyard/ecs/task-set-stability  {"taskSetArn" | "serviceArn", "stabilizingPolls"}

  taskSetArn: that task set's next N DescribeTaskSets report STABILIZING; serviceArn: every task set the
  service creates from now on starts with N (0 clears it). Only DescribeTaskSets counts a poll.
Task sets without load balancers get all of the above but the targets. State lives on moto's objects, so
POST /moto-api/reset drops it. Not emulated: replacing tasks that stop, draining, service discovery.

This module wraps moto's methods; the state and stability are in ecs_task_set_state.py, the tasks and their
targets in ecs_task_placement.py, validation and clientToken in ecs_task_set_validation.py, the control in
ecs_task_set_control.py.
"""

from typing import Any, Callable

from moto.ecs.exceptions import ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskSet
from moto.ecs.responses import EC2ContainerServiceResponse

from ecs_task_placement import release, scale_to_desired
from ecs_task_set_state import Link, link_of, lock, polling, refresh, service_of
from ecs_task_set_validation import (
    ConflictException,
    request_fingerprint,
    task_set_by_token,
    validate_load_balancers,
    validate_scale,
)


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
            scale = validate_scale(scale)
            fingerprint = request_fingerprint(
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
                existing = task_set_by_token(self, cluster.name, client_token)
                if existing is not None:
                    link = link_of(existing)
                    if link is not None and link.fingerprint == fingerprint:
                        refresh(self, existing)
                        return existing
                    raise ConflictException(
                        f"The clientToken {client_token!r} was already used in cluster {cluster.name} for task set "
                        f"{existing.task_set_arn} with different parameters; retry with the original parameters "
                        "or use a new clientToken",
                        [existing.task_set_arn],
                    )
            validate_load_balancers(self, task_definition_obj, load_balancers or [])
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
                release(self, task_set)
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
            validated = validate_scale(scale)
            task_set_obj = original(self, cluster, service, task_set, validated or scale)
            service_obj = service_of(self, task_set_obj)
            if service_obj is not None:
                scale_to_desired(self, task_set_obj, service_obj)
            refresh(self, task_set_obj)
            return task_set_obj

    return update_task_set


def _wrap_delete(original: Callable[..., TaskSet]) -> Callable[..., TaskSet]:
    def delete_task_set(self: EC2ContainerServiceBackend, cluster: str, service: str, task_set: str) -> TaskSet:
        with lock:
            deleted = original(self, cluster, service, task_set)
            release(self, deleted)
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
