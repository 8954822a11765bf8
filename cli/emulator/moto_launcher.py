#!/usr/bin/env python3
"""Switchyard's AWS emulator: the moto 5.2.1 server plus the patches Switchyard needs.

Used by the jest harness (test/support/global-setup.ts) and by `switchyard local`, both through
cli/emulator/moto.ts. Usage:

    python3 cli/emulator/moto_launcher.py --host 127.0.0.1 --port 0 [--parent-pid PID]

Port 0 lets the OS choose a free port. Once the server accepts connections, one line is printed on
stdout: `moto ready on http://127.0.0.1:<port>`. The request log and tracebacks go to stderr.

What this adds to moto (each patch is monkeypatched here; nothing in site-packages is edited):
  1. CodeBuild and CodeCommit timestamps as epoch seconds (moto writes ISO strings, which the
     JSON protocol rejects: the JS SDK throws "Expected real number, got implicit NaN").
  2. CodeBuild builds that honour StartBuild's overrides and idempotencyToken, and whose outcome
     can be scripted:  POST /moto-api/switchyard/codebuild/outcomes
     and listed:       GET  /moto-api/switchyard/codebuild/builds
  3. ELBv2 target health that can be set: POST /moto-api/switchyard/elbv2/target-health
  4. ECS tasks that stay RUNNING instead of drifting to STOPPED after one DescribeTasks.
  5. CodeCommit GetBranch, GetCommit, GetFolder, GetFile and GetBlob served from a local git repository
     bound to a repository name (cli/emulator/codecommit_git.py):
                       POST /moto-api/switchyard/codecommit/repositories
  6. ECS task sets that run ceil(desiredCount x scale) linked tasks, register them in their target groups,
     honour clientToken and report computedDesiredCount, runningCount, pendingCount and a stability
     derived from them (cli/emulator/ecs_task_sets.py); extra STABILIZING describes:
                       POST /moto-api/switchyard/ecs/task-set-stability
  7. Lambda Invoke of Node.js zip functions in a local `node` process, no Docker (cli/emulator/lambda_node.py).
  8. CodeBuild builds that really run: with an executor set, each StartBuild runs the buildspec locally and
     reports back (cli/emulator/codebuild_executor.py, cli/emulator/build-executor.ts):
                    POST /moto-api/switchyard/codebuild/executor, POST /moto-api/switchyard/codebuild/report
  8. --parent-pid: the server exits by itself once that process is gone.
All added state lives on moto's backends, so POST /moto-api/reset clears it with everything else.
"""

import argparse
import copy
import json
import os
import socket
import sys
import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any

EXPECTED_MOTO_VERSION = "5.2.1"
MISSING_MOTO_EXIT_CODE = 3

try:
    import moto
    from moto.codebuild import exceptions as codebuild_errors
    from moto.codebuild.models import CodeBuildBackend, codebuild_backends
    from moto.codebuild.responses import CodeBuildResponse
    from moto.codecommit.models import CodeCommit
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.elbv2.models import FakeTargetGroup, elbv2_backends
    from moto.moto_api import state_manager
    from moto.moto_api._internal import mock_random
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response
except ImportError as error:
    print(
        f"Switchyard's AWS emulator needs moto {EXPECTED_MOTO_VERSION} for {sys.executable} "
        f"({error}). Install it with: pip install 'moto[server]=={EXPECTED_MOTO_VERSION}'",
        file=sys.stderr,
    )
    sys.exit(MISSING_MOTO_EXIT_CODE)

# No __pycache__ next to the sources (in the repository or in a copy of cli/).
sys.dont_write_bytecode = True
import codecommit_git  # noqa: E402  (next to this file; imports moto, so only once moto is known to be there)
import ecs_task_sets  # noqa: E402
import lambda_node  # noqa: E402
import codebuild_executor  # noqa: E402

CONTROL_PREFIX = "/moto-api/switchyard/"
DEFAULT_REGION = "us-east-1"


class ControlError(Exception):
    """A bad request to a /moto-api/switchyard/ control; becomes a JSON error response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------------------------
# 1. Timestamps
# --------------------------------------------------------------------------------------------


def epoch_seconds(value: Any) -> Any:
    """Turn moto's ISO-8601 string (UTC, e.g. 2024-05-01T10:00:00.000Z) into epoch seconds."""
    if not isinstance(value, str):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def patch_codecommit_timestamps() -> None:
    """CodeCommit.__init__ stores creationDate/lastModifiedDate as ISO strings, and
    create_repository/get_repository json.dumps that dict as is: convert it once, at creation."""
    original_init = CodeCommit.__init__

    def __init__(self: CodeCommit, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for key in ("creationDate", "lastModifiedDate"):
            self.repository_metadata[key] = epoch_seconds(self.repository_metadata[key])

    CodeCommit.__init__ = __init__  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------
# 2. CodeBuild builds
#
# moto's CodeBuildProjectMetadata writes ISO timestamps, a hard-coded CODECOMMIT source and
# environment, ignores every override but sourceVersion/artifactsOverride, and batch_get_builds
# marks every build SUCCEEDED on the first call. StartBuild, BatchGetBuilds and StopBuild are
# replaced here; the builds are still appended to moto's build_history, so ListBuilds and
# ListBuildsForProject keep working.
# --------------------------------------------------------------------------------------------

PHASES = tuple(
    "SUBMITTED QUEUED PROVISIONING DOWNLOAD_SOURCE INSTALL PRE_BUILD BUILD POST_BUILD UPLOAD_ARTIFACTS"
    " FINALIZING COMPLETED".split()
)
SCRIPTABLE_PHASES = PHASES[PHASES.index("PROVISIONING") : PHASES.index("FINALIZING") + 1]
FINAL_STATUSES = ("SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT")
OUTCOME_KEYS = {"inProgressPolls", "status", "failedPhase", "phaseMessage"}
DEFAULT_CONTEXTS = {
    "FAILED": ("COMMAND_EXECUTION_ERROR", "Error while executing command: (scripted). Reason: exit status 1"),
    "FAULT": ("CLIENT_ERROR", "Scripted fault"),
    "STOPPED": ("BUILD_STOPPED", "Build was stopped"),
    "TIMED_OUT": ("BUILD_TIMED_OUT", "Build has timed out."),
}
# Real CodeBuild only issues a new build for a reused token after this long.
IDEMPOTENCY_WINDOW_SECONDS = 5 * 60
SOURCE_TYPES = ("BITBUCKET", "CODECOMMIT", "CODEPIPELINE", "GITHUB", "GITHUB_ENTERPRISE", "NO_SOURCE", "S3")

# moto's own behaviour: SUCCEEDED on the first BatchGetBuilds.
DEFAULT_OUTCOME: dict[str, Any] = {"inProgressPolls": 0, "status": "SUCCEEDED"}
# Werkzeug serves requests on threads; a poll counts once even if two callers race.
codebuild_lock = threading.RLock()


class BuildScript:
    """One build's JSON as BatchGetBuilds returns it, and the outcome it is heading to."""

    def __init__(self, build: dict[str, Any], outcome: dict[str, Any], request: dict[str, Any]):
        self.build = build
        self.outcome = outcome
        self.scripted = outcome is not DEFAULT_OUTCOME
        self.request = request
        self.polls = 0
        # The executor process running this build for real, when the emulator has one (codebuild_executor.py).
        self.process: Any = None


class CodeBuildScripting:
    """Switchyard's state on one CodeBuild backend (so moto's reset drops it with the backend)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, deque[dict[str, Any]]] = {}
        self.builds: dict[str, BuildScript] = {}
        self.tokens: dict[str, tuple[str, str, float]] = {}
        self.executor: codebuild_executor.ExecutorConfig | None = None


def scripting(backend: CodeBuildBackend) -> CodeBuildScripting:
    """The backend's CodeBuildScripting, created on first use."""
    return backend.__dict__.setdefault("switchyard", CodeBuildScripting())


def _open_phase(build: dict[str, Any], phase: str, now: float) -> None:
    build["phases"].append({"phaseType": phase, "startTime": now})
    build["currentPhase"] = phase


def _close_phase(
    build: dict[str, Any], now: float, status: str = "SUCCEEDED", context: tuple[str, str] | None = None
) -> None:
    phase = build["phases"][-1]
    phase.update(phaseStatus=status, endTime=now, durationInSeconds=int(round(now - phase["startTime"])))
    if context:
        phase["contexts"] = [{"statusCode": context[0], "message": context[1]}]


def _run_until(build: dict[str, Any], target: str, now: float) -> None:
    """Succeed every phase from the open one up to `target`, and leave `target` open."""
    while PHASES.index(build["currentPhase"]) < PHASES.index(target):
        _close_phase(build, now)
        _open_phase(build, PHASES[PHASES.index(build["currentPhase"]) + 1], now)


def _finish(build: dict[str, Any], status: str, now: float, context: tuple[str, str] | None = None) -> None:
    """End the open phase with `status`, then run the phases real CodeBuild still runs."""
    failed = build["currentPhase"]
    if status == "SUCCEEDED":
        _run_until(build, "COMPLETED", now)
    else:
        _close_phase(build, now, status, context)
        # After a failed BUILD, CodeBuild still runs POST_BUILD and always attempts
        # UPLOAD_ARTIFACTS; after any other failure it goes straight to FINALIZING.
        following = ["FINALIZING", "COMPLETED"]
        if status == "FAILED" and failed == "BUILD":
            following = ["POST_BUILD", "UPLOAD_ARTIFACTS", *following]
        elif status == "FAILED" and failed == "POST_BUILD":
            following = ["UPLOAD_ARTIFACTS", *following]
        elif failed == "FINALIZING":
            following = ["COMPLETED"]
        for index, phase in enumerate(following):
            if index > 0:
                _close_phase(build, now)
            _open_phase(build, phase, now)
    # COMPLETED carries only a startTime in real CodeBuild.
    build.update(buildStatus=status, buildComplete=True, endTime=now)


def _in_progress_phase(outcome: dict[str, Any]) -> str:
    """BUILD while in progress, unless the build is scripted to fail in an earlier phase."""
    failed = outcome.get("failedPhase", "BUILD")
    if outcome["status"] != "SUCCEEDED" and PHASES.index(failed) < PHASES.index("BUILD"):
        return failed
    return "BUILD"


def _advance(script: BuildScript) -> None:
    """Count one BatchGetBuilds poll and move the build along its outcome."""
    build, outcome = script.build, script.outcome
    if build["buildComplete"]:
        return
    script.polls += 1
    now = time.time()
    if script.polls <= outcome["inProgressPolls"]:
        _run_until(build, _in_progress_phase(outcome), now)
    elif outcome["status"] == "SUCCEEDED":
        _finish(build, "SUCCEEDED", now)
    else:
        _run_until(build, outcome.get("failedPhase", "BUILD"), now)
        _finish(build, outcome["status"], now, _context(outcome))


def _context(outcome: dict[str, Any]) -> tuple[str, str]:
    """`"CODE: message"` from phaseMessage, or a default for the status."""
    message = outcome.get("phaseMessage")
    if not message:
        return DEFAULT_CONTEXTS[outcome["status"]]
    code, separator, rest = message.partition(": ")
    if separator and code.replace("_", "").isalnum() and code.upper() == code:
        return code, rest
    return DEFAULT_CONTEXTS[outcome["status"]][0], message


def _merge_environment_variables(
    project: list[dict[str, Any]], overrides: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Overrides replace the project's variable of the same name in place; new ones are appended."""
    merged = {variable["name"]: {"type": "PLAINTEXT", **variable} for variable in project}
    for variable in overrides:
        if not isinstance(variable, dict) or "name" not in variable or "value" not in variable:
            raise codebuild_errors.InvalidInputException(
                f"Invalid environmentVariablesOverride entry {json.dumps(variable)}: expected {{name, value, type?}}"
            )
        merged[variable["name"]] = {"type": "PLAINTEXT", **variable}
    return list(merged.values())


def _artifacts_location(artifacts: dict[str, Any], project_name: str, build_uuid: str) -> dict[str, Any]:
    """BuildArtifacts.location as CodeBuild reports it: the S3 ARN the artifact is written to."""
    if artifacts.get("type") != "S3" or not artifacts.get("location"):
        return {"location": ""}
    parts = [artifacts["location"], artifacts.get("path")]
    if artifacts.get("namespaceType") == "BUILD_ID":
        parts.append(build_uuid)
    parts.append(artifacts.get("name") or project_name)
    result: dict[str, Any] = {"location": "arn:aws:s3:::" + "/".join(part.strip("/") for part in parts if part)}
    if "encryptionDisabled" in artifacts:
        result["encryptionDisabled"] = artifacts["encryptionDisabled"]
    if "overrideArtifactName" in artifacts:
        result["overrideArtifactName"] = artifacts["overrideArtifactName"]
    return result


def _new_build(backend: CodeBuildBackend, request: dict[str, Any], number: int) -> dict[str, Any]:
    """The build JSON for a StartBuild request, with its overrides applied over the project."""
    project_name = request["projectName"]
    project = backend.codebuild_projects[project_name].project_metadata
    build_uuid = str(mock_random.uuid4())
    build_id = f"{project_name}:{build_uuid}"
    region, account = backend.region_name, backend.account_id
    now = time.time()

    source = copy.deepcopy(project.get("source") or {})
    if "sourceTypeOverride" in request:
        if request["sourceTypeOverride"] not in SOURCE_TYPES:
            raise codebuild_errors.InvalidInputException(
                f"Invalid sourceTypeOverride {request['sourceTypeOverride']!r}: "
                f"expected one of {', '.join(SOURCE_TYPES)}"
            )
        source["type"] = request["sourceTypeOverride"]
    if "sourceLocationOverride" in request:
        source["location"] = request["sourceLocationOverride"]
    if "buildspecOverride" in request:
        source["buildspec"] = request["buildspecOverride"]

    project_environment = project.get("environment") or {}
    environment = {
        "type": request.get("environmentTypeOverride", project_environment.get("type")),
        "image": request.get("imageOverride", project_environment.get("image")),
        "computeType": request.get("computeTypeOverride", project_environment.get("computeType")),
        "environmentVariables": _merge_environment_variables(
            project_environment.get("environmentVariables") or [],
            request.get("environmentVariablesOverride") or [],
        ),
        "privilegedMode": request.get("privilegedModeOverride", project_environment.get("privilegedMode", False)),
        "imagePullCredentialsType": project_environment.get("imagePullCredentialsType", "CODEBUILD"),
    }

    artifacts = request.get("artifactsOverride") or project.get("artifacts") or {}
    cloudwatch = (project.get("logsConfig") or {}).get("cloudWatchLogs") or {}
    group = cloudwatch.get("groupName") or f"/aws/codebuild/{project_name}"
    stream = f"{cloudwatch['streamName']}/{build_uuid}" if cloudwatch.get("streamName") else build_uuid

    build: dict[str, Any] = {
        "id": build_id,
        "arn": f"arn:aws:codebuild:{region}:{account}:build/{build_id}",
        "buildNumber": number,
        "startTime": now,
        "currentPhase": "SUBMITTED",
        "buildStatus": "IN_PROGRESS",
        "projectName": project_name,
        "phases": [],
        "source": source,
        "secondarySources": [],
        "secondarySourceVersions": [],
        "artifacts": _artifacts_location(artifacts, project_name, build_uuid),
        "secondaryArtifacts": [],
        "cache": project.get("cache") or {"type": "NO_CACHE"},
        "environment": environment,
        "serviceRole": request.get("serviceRoleOverride", project.get("serviceRole")),
        "logs": {
            "groupName": group,
            "streamName": stream,
            "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEvent:group={group};stream={stream}",
            "cloudWatchLogsArn": f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}",
            "cloudWatchLogs": {"status": "ENABLED", "groupName": group},
        },
        "timeoutInMinutes": request.get("timeoutInMinutesOverride") or project.get("timeoutInMinutes") or 60,
        "queuedTimeoutInMinutes": request.get("queuedTimeoutInMinutesOverride")
        or project.get("queuedTimeoutInMinutes")
        or 480,
        "buildComplete": False,
        "initiator": "switchyard-emulator",
        "encryptionKey": project.get("encryptionKey"),
    }
    source_version = request.get("sourceVersion", project.get("sourceVersion"))
    if source_version:
        build["sourceVersion"] = source_version
    _open_phase(build, "SUBMITTED", now)
    _close_phase(build, now)
    _open_phase(build, "QUEUED", now)
    return build


def _fingerprint(request: dict[str, Any]) -> str:
    return json.dumps(request, sort_keys=True, separators=(",", ":"))


def start_build(self: CodeBuildResponse) -> str:
    """StartBuild: apply the overrides, honour idempotencyToken, take the next scripted outcome."""
    request = json.loads(self.body or "{}")
    project_name = request.get("projectName") or ""
    backend = self.codebuild_backend
    if project_name not in backend.codebuild_projects:
        raise codebuild_errors.ResourceNotFoundException(
            f"Project cannot be found: arn:aws:codebuild:{self.region}:{self.current_account}:project/{project_name}"
        )
    with codebuild_lock:
        state = scripting(backend)
        token = request.get("idempotencyToken")
        now = time.time()
        if token and token in state.tokens:
            fingerprint, build_id, issued = state.tokens[token]
            if now - issued < IDEMPOTENCY_WINDOW_SECONDS:
                if fingerprint != _fingerprint(request):
                    raise codebuild_errors.InvalidInputException(
                        f"idempotencyToken {token!r} was already used by build {build_id} with different "
                        "parameters; send the same parameters to get that build back, or use a new token"
                    )
                return json.dumps({"build": state.builds[build_id].build})
        queue = state.outcomes.get(project_name)
        outcome = queue.popleft() if queue else DEFAULT_OUTCOME
        number = len(backend.build_history.setdefault(project_name, [])) + 1
        build = _new_build(backend, request, number)
        script = BuildScript(build, outcome, request)
        state.builds[build["id"]] = script
        if state.executor is not None and not script.scripted:
            artifacts = request.get("artifactsOverride") or backend.codebuild_projects[project_name].project_metadata.get("artifacts") or {}
            _run_until(build, "PROVISIONING", now)
            script.process = codebuild_executor.launch(
                state.executor, EMULATOR["endpoint"], build, artifacts, backend.account_id, backend.region_name
            )
        if token:
            state.tokens[token] = (_fingerprint(request), build["id"], now)
        backend.build_history[project_name].append(build["id"])
        return json.dumps({"build": build})


def batch_get_builds(self: CodeBuildResponse) -> str:
    """BatchGetBuilds: every id asked for counts as one poll of that build."""
    ids = self._get_param("ids") or []
    for build_id in ids:
        if ":" not in build_id:
            raise codebuild_errors.InvalidInputException("Invalid build ID provided")
    with codebuild_lock:
        state = scripting(self.codebuild_backend)
        builds, not_found = [], []
        for build_id in ids:
            script = state.builds.get(build_id)
            if script is None:
                not_found.append(build_id)
                continue
            if script.process is None:
                _advance(script)
            builds.append(script.build)
        return json.dumps({"builds": builds, "buildsNotFound": not_found})


def stop_build(self: CodeBuildResponse) -> str:
    """StopBuild: an in-progress build ends STOPPED at its current phase; a finished one is unchanged."""
    build_id = self._get_param("id") or ""
    if ":" not in build_id:
        raise codebuild_errors.InvalidInputException("Invalid build ID provided")
    with codebuild_lock:
        script = scripting(self.codebuild_backend).builds.get(build_id)
        if script is None:
            raise codebuild_errors.ResourceNotFoundException(f"Build {build_id} does not exist")
        if not script.build["buildComplete"]:
            codebuild_executor.stop(script.process)
            _finish(script.build, "STOPPED", time.time())
        return json.dumps({"build": script.build})


def patch_codebuild() -> None:
    """Route StartBuild, BatchGetBuilds and StopBuild to the functions above."""
    CodeBuildResponse.start_build = start_build  # type: ignore[method-assign]
    CodeBuildResponse.batch_get_builds = batch_get_builds  # type: ignore[method-assign]
    CodeBuildResponse.stop_build = stop_build  # type: ignore[method-assign]


def _validate_outcome(outcome: Any, index: int) -> dict[str, Any]:
    where = f"outcomes[{index}]"
    if not isinstance(outcome, dict):
        raise ControlError(f"{where} must be an object like {{\"status\": \"FAILED\", \"inProgressPolls\": 2}}")
    unknown = sorted(set(outcome) - OUTCOME_KEYS)
    if unknown:
        raise ControlError(f"{where} has unknown keys {unknown}; allowed: {sorted(OUTCOME_KEYS)}")
    status = outcome.get("status")
    if status not in FINAL_STATUSES:
        raise ControlError(f"{where}.status is {status!r}; expected one of {', '.join(FINAL_STATUSES)}")
    polls = outcome.get("inProgressPolls", 0)
    if not isinstance(polls, int) or isinstance(polls, bool) or polls < 0:
        raise ControlError(f"{where}.inProgressPolls is {polls!r}; expected an integer >= 0")
    phase = outcome.get("failedPhase", "BUILD")
    if phase not in SCRIPTABLE_PHASES:
        raise ControlError(f"{where}.failedPhase is {phase!r}; expected one of {', '.join(SCRIPTABLE_PHASES)}")
    message = outcome.get("phaseMessage")
    if message is not None and not isinstance(message, str):
        raise ControlError(f"{where}.phaseMessage must be a string")
    if status == "SUCCEEDED":
        return {**outcome, "inProgressPolls": polls}
    return {**outcome, "inProgressPolls": polls, "failedPhase": phase}


def control_codebuild_outcomes(body: dict[str, Any]) -> dict[str, Any]:
    """Queue outcomes for the next StartBuilds of a project (the project need not exist yet)."""
    project_name = body.get("projectName")
    if not isinstance(project_name, str) or not project_name:
        raise ControlError("projectName (string) is required")
    outcomes = body.get("outcomes")
    if not isinstance(outcomes, list) or not outcomes:
        raise ControlError("outcomes must be a non-empty list")
    validated = [_validate_outcome(outcome, index) for index, outcome in enumerate(outcomes)]
    backend = codebuild_backends[body.get("accountId") or DEFAULT_ACCOUNT_ID][body.get("region") or DEFAULT_REGION]
    with codebuild_lock:
        queue = scripting(backend).outcomes.setdefault(project_name, deque())
        queue.extend(validated)
        return {"projectName": project_name, "queued": len(queue)}


def control_codebuild_builds() -> dict[str, Any]:
    """Every build started since the last reset, in start order, with its request's overrides."""
    records = []
    with codebuild_lock:
        for account_id, regions in list(codebuild_backends.items()):
            for region, backend in list(regions.items()):
                for script in scripting(backend).builds.values():
                    build = script.build
                    records.append(
                        {
                            "id": build["id"],
                            "arn": build["arn"],
                            "projectName": build["projectName"],
                            "accountId": account_id,
                            "region": region,
                            "startTime": build["startTime"],
                            "buildStatus": build["buildStatus"],
                            "polls": script.polls,
                            "overrides": {k: v for k, v in script.request.items() if k != "projectName"},
                            "outcome": script.outcome if script.scripted else None,
                        }
                    )
    records.sort(key=lambda record: record["startTime"])
    return {"builds": records}


# --------------------------------------------------------------------------------------------
# 3. ELBv2 target health
#
# FakeTargetGroup.health_for reports every registered target healthy. Overrides are kept on the
# target group itself: {"*": group-wide, "<targetId>": that target}; a target's own override
# wins. They apply to registered targets only (an unregistered one stays unused/unavailable).
# --------------------------------------------------------------------------------------------

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
    """Let DescribeTargetHealth report the overrides set through the control."""
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


# --------------------------------------------------------------------------------------------
# 4. ECS tasks
# --------------------------------------------------------------------------------------------


def patch_ecs_task_lifecycle() -> None:
    """moto advances a task one state (RUNNING -> DEACTIVATING -> ... STOPPED) per DescribeTasks.
    Registered as the default, so /moto-api/state-manager/set-transition still overrides it and
    unset-transition comes back here; the state manager is not touched by /moto-api/reset."""
    state_manager.register_default_transition("ecs::task", {"progression": "manual", "times": 10**9})


# --------------------------------------------------------------------------------------------
# 8. CodeBuild executor (codebuild_executor.py)
# --------------------------------------------------------------------------------------------

EMULATOR = {"endpoint": ""}


def _codebuild_state(body: dict[str, Any]) -> CodeBuildScripting:
    account = body.get("accountId") or DEFAULT_ACCOUNT_ID
    region = body.get("region") or DEFAULT_REGION
    return scripting(codebuild_backends[account][region])


def control_codebuild_executor(body: dict[str, Any]) -> dict[str, Any]:
    """Set (or, with "command": null, clear) the command that runs each new build."""
    config = codebuild_executor.validate_config(body, ControlError)
    with codebuild_lock:
        _codebuild_state(body).executor = config
    return {"command": config.command if config else None}


def control_codebuild_report(body: dict[str, Any]) -> dict[str, Any]:
    """An executor reports its build's progress or end."""
    with codebuild_lock:
        script = _codebuild_state(body).builds.get(str(body.get("id")))
        if script is None:
            raise ControlError(f"no build {body.get('id')!r}", status=404)
        codebuild_executor.apply_report(script.build, body.get("update"), ControlError)
        return {"id": script.build["id"], "buildStatus": script.build["buildStatus"]}


# --------------------------------------------------------------------------------------------
# 5. CodeCommit from git (the implementation is in codecommit_git.py)
# --------------------------------------------------------------------------------------------


def control_codecommit_repository(body: dict[str, Any]) -> dict[str, Any]:
    """Bind a CodeCommit repository name to a local git repository."""
    try:
        return codecommit_git.bind_repository(body)
    except codecommit_git.BindError as error:
        raise ControlError(str(error), error.status) from error


# --------------------------------------------------------------------------------------------
# 6. ECS task sets (ecs_task_sets.py) and 7. Node.js Lambda functions (lambda_node.py)
# --------------------------------------------------------------------------------------------


def control_task_set_stability(body: dict[str, Any]) -> dict[str, Any]:
    """Make task sets report STABILIZING for a number of DescribeTaskSets (ecs_task_sets.py)."""
    try:
        return ecs_task_sets.control_task_set_stability(body)
    except ecs_task_sets.ControlError as error:
        raise ControlError(str(error), error.status) from error


# --------------------------------------------------------------------------------------------
# Control endpoints and server
# --------------------------------------------------------------------------------------------


def controls(moto_app: Any) -> Any:
    """WSGI middleware: answer /moto-api/switchyard/* here, pass everything else to moto."""
    routes = {
        ("POST", "codebuild/outcomes"): control_codebuild_outcomes,
        ("GET", "codebuild/builds"): lambda _body: control_codebuild_builds(),
        ("POST", "elbv2/target-health"): control_target_health,
        ("POST", "codecommit/repositories"): control_codecommit_repository,
        ("POST", "codebuild/executor"): control_codebuild_executor,
        ("POST", "codebuild/report"): control_codebuild_report,
        ("POST", "ecs/task-set-stability"): control_task_set_stability,
    }

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return moto_app(environ, start_response)
        request = Request(environ)
        handler = routes.get((request.method, path[len(CONTROL_PREFIX) :].rstrip("/")))
        try:
            if handler is None:
                known = ", ".join(f"{method} {CONTROL_PREFIX}{route}" for method, route in routes)
                raise ControlError(f"no control {request.method} {path}; known: {known}", status=404)
            body = json.loads(request.get_data(as_text=True) or "{}") if request.method == "POST" else {}
            if not isinstance(body, dict):
                raise ControlError("the request body must be a JSON object")
            status, payload = 200, handler(body)
        except json.JSONDecodeError as error:
            status, payload = 400, {"error": f"the request body is not JSON: {error}"}
        except ControlError as error:
            status, payload = error.status, {"error": str(error)}
        response = Response(json.dumps(payload), status=status, mimetype="application/json")
        return response(environ, start_response)

    return app


def apply_patches() -> None:
    """Every patch above, once, before the server handles a request."""
    patch_codecommit_timestamps()
    patch_codebuild()
    patch_elbv2_target_health()
    patch_ecs_task_lifecycle()
    codecommit_git.patch_codecommit()
    ecs_task_sets.patch_ecs_task_sets()
    lambda_node.patch_lambda_node()


def watch_parent(parent_pid: int) -> None:
    """Exit as soon as the parent process is gone, so a crashed caller never leaves a server behind."""
    watching_own_parent = os.getppid() == parent_pid
    while True:
        if not _alive(parent_pid) or (watching_own_parent and os.getppid() != parent_pid):
            # os._exit: there is nothing to clean up, and request threads must not keep us alive.
            os._exit(0)
        time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    # A dead process that nobody has reaped yet (some container inits never do) still answers kill 0.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    args = parser.parse_args()

    if moto.__version__ != EXPECTED_MOTO_VERSION:
        print(
            f"warning: Switchyard's emulator patches moto {EXPECTED_MOTO_VERSION}; found {moto.__version__}",
            file=sys.stderr,
        )
    apply_patches()
    server = make_server(args.host, args.port, controls(DomainDispatcherApplication(create_backend_app)), threaded=True)
    port = server.server_address[1]
    # moto builds some URLs (Lambda env, CloudFormation custom resources) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    lambda_node.set_endpoint(args.host, port)
    EMULATOR["endpoint"] = f"http://{args.host}:{port}"
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    with socket.create_connection((args.host, port), timeout=10):
        pass
    print(f"moto ready on http://{args.host}:{port}", flush=True)
    try:
        if args.parent_pid:
            watch_parent(args.parent_pid)
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
