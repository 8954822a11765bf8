"""The build a StartBuild creates in Switchyard's emulator: its JSON as BatchGetBuilds returns it, with the
request's overrides applied over the project.

moto 5.2.1 writes a hard-coded CODECOMMIT source and environment and ignores every override but
sourceVersion/artifactsOverride. Here sourceTypeOverride, sourceLocationOverride, buildspecOverride, the
environment overrides (type, image, compute type, environmentVariablesOverride, privileged mode),
serviceRoleOverride, the timeout overrides and artifactsOverride are honoured, and timestamps are epoch
seconds (moto's ISO strings make the JS SDK throw "Expected real number, got implicit NaN").
"""

import copy
import json
import time
from typing import Any

from moto.codebuild import exceptions as codebuild_errors
from moto.codebuild.models import CodeBuildBackend
from moto.moto_api._internal import mock_random

from codebuild_phases import close_phase, open_phase

SOURCE_TYPES = ("BITBUCKET", "CODECOMMIT", "CODEPIPELINE", "GITHUB", "GITHUB_ENTERPRISE", "NO_SOURCE", "S3")


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


def new_build(backend: CodeBuildBackend, request: dict[str, Any], number: int) -> dict[str, Any]:
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
    open_phase(build, "SUBMITTED", now)
    close_phase(build, now)
    open_phase(build, "QUEUED", now)
    return build
